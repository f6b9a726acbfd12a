/** The returns and lengths of the last `size` episodes finished (RLlib's smoothing window of 100). */
export class EpisodeWindow {
  private returns: number[] = [];
  private lengths: number[] = [];

  constructor(private readonly size = 100) {}

  add(returns: readonly number[], lengths: readonly number[]): void {
    this.returns.push(...returns);
    this.lengths.push(...lengths);
    if (this.returns.length > this.size) {
      this.returns = this.returns.slice(-this.size);
      this.lengths = this.lengths.slice(-this.size);
    }
  }

  /** Means over the window (NaN before any episode finished), and the extremes of the returns. */
  summary(): { episodeReturnMean: number; episodeLenMean: number; episodeReturnMax: number; episodeReturnMin: number } {
    return {
      episodeReturnMean: mean(this.returns),
      episodeLenMean: mean(this.lengths),
      episodeReturnMax: this.returns.length === 0 ? Number.NaN : Math.max(...this.returns),
      episodeReturnMin: this.returns.length === 0 ? Number.NaN : Math.min(...this.returns),
    };
  }
}

export function mean(v: readonly number[]): number {
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length;
}
