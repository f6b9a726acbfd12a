/**
 * One bracket of synchronous HyperBand: `n` trials run `r` units of timeAttr each; once all of
 * its live trials got there (each paused on arrival), the best ceil(n/eta) go on for eta times
 * longer and the others stop; after `s` halvings the survivors run to the bracket's end.
 */
import type { TrialResult } from "../types.js";

export interface BracketState {
  readonly n: number;
  readonly r: number;
  readonly halves: number;
  readonly completed: number;
  readonly live: [string, TrialResult | null][];
}

export class HyperBandBracket {
  /** Live trials with their latest result (null before the first). */
  readonly live = new Map<string, TrialResult | null>();
  completed = 0;

  constructor(
    /** Trials this bracket is planned for (it takes new trials until it has them). */
    public n: number,
    /** Units each trial runs this round (its total so far: rounds do not add up). */
    public r: number,
    /** Halvings left. */
    public halves: number,
    private readonly eta: number,
    private readonly maxT: number,
    private readonly stopLastTrials: boolean,
    private readonly time: (r: TrialResult | null | undefined) => number,
  ) {}

  filled(): boolean {
    return this.live.size + this.completed >= this.n;
  }

  /** Whether a trial at its latest result may run on now. */
  continues(trialId: string): boolean {
    if (!this.stopLastTrials && this.halves === 0) return true;
    return this.time(this.live.get(trialId)) < this.r;
  }

  /** Whether every live trial got to this round's end. */
  roundDone(): boolean {
    return [...this.live.values()].every((res) => this.time(res) >= this.r);
  }

  finished(): boolean {
    return this.stopLastTrials && this.halves === 0 && this.roundDone();
  }

  /** The next round: the best ceil(n/eta) by `score` (higher better) go on, for eta times longer; the others returned to stop. */
  halve(score: (r: TrialResult | null) => number): { good: string[]; bad: string[] } {
    this.halves--;
    this.n = Math.ceil(this.n / this.eta);
    this.r = Math.min(this.r * this.eta, this.maxT);
    const sorted = [...this.live].sort(([, a], [, b]) => score(b) - score(a)).map(([id]) => id);
    return { good: sorted.slice(0, this.n), bad: sorted.slice(this.n) };
  }

  remove(trialId: string, completed: boolean): void {
    if (this.live.delete(trialId) && completed) this.completed++;
  }

  save(): BracketState {
    return { n: this.n, r: this.r, halves: this.halves, completed: this.completed, live: [...this.live] };
  }

  load(s: BracketState): void {
    this.n = s.n;
    this.r = s.r;
    this.halves = s.halves;
    this.completed = s.completed;
    for (const [id, res] of s.live) this.live.set(id, res);
  }
}
