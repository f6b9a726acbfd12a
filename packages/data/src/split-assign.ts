/**
 * Which split gets a whole block (streamingSplit without `equal`): round robin, or with
 * locality hints the split whose node holds the block, while that split is not more than
 * one block ahead of the split that has fewest (so a node holding most blocks does not
 * starve the others' splits).
 */
export class BlockAssigner {
  private readonly counts: number[];
  private next = 0;

  constructor(
    private readonly n: number,
    /** Node ids, one per split, or none. */
    private readonly hints: readonly string[] | undefined,
  ) {
    this.counts = new Array<number>(n).fill(0);
  }

  /** The split of a block held by `node` (undefined: not known). */
  assign(node: string | undefined): number {
    const split = this.hints === undefined ? this.next++ % this.n : this.byHint(node);
    this.counts[split] = (this.counts[split] as number) + 1;
    return split;
  }

  private byHint(node: string | undefined): number {
    const fewest = Math.min(...this.counts);
    let best = -1;
    for (let i = 0; i < this.n; i++) {
      const count = this.counts[i] as number;
      if (this.hints?.[i] !== node || count > fewest + 1) continue;
      if (best < 0 || count < (this.counts[best] as number)) best = i;
    }
    return best >= 0 ? best : this.counts.indexOf(fewest);
  }
}
