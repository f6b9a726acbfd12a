/** Binary trees over a fixed number of slots keeping a sum (with prefix search) or a minimum: prioritized replay's index. */

export class SumTree {
  private readonly tree: Float64Array;
  private readonly leaves: number;

  constructor(capacity: number) {
    this.leaves = 1 << Math.ceil(Math.log2(Math.max(1, capacity)));
    this.tree = new Float64Array(2 * this.leaves);
  }

  set(slot: number, value: number): void {
    let i = slot + this.leaves;
    this.tree[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) this.tree[i] = (this.tree[2 * i] as number) + (this.tree[2 * i + 1] as number);
  }

  get(slot: number): number {
    return this.tree[slot + this.leaves] as number;
  }

  total(): number {
    return this.tree[1] as number;
  }

  /** The slot where the running sum of values passes `mass`. */
  find(mass: number): number {
    let i = 1;
    let m = mass;
    while (i < this.leaves) {
      const left = this.tree[2 * i] as number;
      if (m < left) i = 2 * i;
      else {
        m -= left;
        i = 2 * i + 1;
      }
    }
    return i - this.leaves;
  }
}

export class MinTree {
  private readonly tree: Float64Array;
  private readonly leaves: number;

  constructor(capacity: number) {
    this.leaves = 1 << Math.ceil(Math.log2(Math.max(1, capacity)));
    this.tree = new Float64Array(2 * this.leaves).fill(Infinity);
  }

  set(slot: number, value: number): void {
    let i = slot + this.leaves;
    this.tree[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) this.tree[i] = Math.min(this.tree[2 * i] as number, this.tree[2 * i + 1] as number);
  }

  min(): number {
    return this.tree[1] as number;
  }
}
