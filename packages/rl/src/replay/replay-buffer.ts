/**
 * DQN's replay buffer in the driver: a ring of transitions in typed-array columns, sampled
 * uniformly, or in proportion to priority^alpha with importance weights
 * (N · P(i))^-beta / max (prioritized replay, on a sum tree and a min tree).
 */
import type { DqnBatch } from "../runner/sample-batch.js";
import type { Rng } from "../rng.js";
import { MinTree, SumTree } from "./segment-tree.js";

const COLUMNS = ["obs", "actions", "rewards", "nextObs", "terminateds", "discounts"] as const;
type Column = (typeof COLUMNS)[number];

export interface ReplaySample {
  batch: DqnBatch;
  /** Slot of each sample (to update its priority). */
  indices: Int32Array;
  /** Importance weights (all 1 for a uniform buffer). */
  weights: Float32Array;
}

export interface PrioritizedOptions {
  alpha: number;
  beta: number;
}

export class ReplayBuffer {
  private columns: Record<Column, Float32Array> | undefined;
  private widths: Record<Column, number> | undefined;
  private next = 0;
  size = 0;
  private readonly sum: SumTree | undefined;
  private readonly min: MinTree | undefined;
  private maxPriority = 1;

  constructor(
    readonly capacity: number,
    private readonly prioritized: PrioritizedOptions | undefined,
  ) {
    if (prioritized !== undefined) {
      this.sum = new SumTree(capacity);
      this.min = new MinTree(capacity);
    }
  }

  add(batch: DqnBatch): void {
    if (batch.count === 0) return;
    const widths = (this.widths ??= Object.fromEntries(COLUMNS.map((c) => [c, batch[c].length / batch.count])) as Record<Column, number>);
    const cols = (this.columns ??= Object.fromEntries(COLUMNS.map((c) => [c, new Float32Array(this.capacity * widths[c])])) as Record<Column, Float32Array>);
    for (let i = 0; i < batch.count; i++) {
      for (const c of COLUMNS) {
        const w = widths[c];
        cols[c].set(batch[c].subarray(i * w, (i + 1) * w), this.next * w);
      }
      this.setPriority(this.next, this.maxPriority);
      this.next = (this.next + 1) % this.capacity;
      this.size = Math.min(this.size + 1, this.capacity);
    }
  }

  sample(n: number, rng: Rng): ReplaySample {
    const indices = new Int32Array(n);
    const weights = new Float32Array(n).fill(1);
    if (this.sum === undefined || this.min === undefined || this.prioritized === undefined) {
      for (let i = 0; i < n; i++) indices[i] = rng.int(this.size);
    } else {
      const total = this.sum.total();
      const beta = this.prioritized.beta;
      const maxWeight = Math.pow((this.min.min() / total) * this.size, -beta);
      for (let i = 0; i < n; i++) {
        // Stratified: one draw in each of n equal slices of the total priority.
        const idx = this.sum.find(((i + rng.random()) / n) * total);
        indices[i] = Math.min(idx, this.size - 1);
        const p = this.sum.get(indices[i] as number) / total;
        weights[i] = Math.pow(p * this.size, -beta) / maxWeight;
      }
    }
    return { batch: this.take(indices), indices, weights };
  }

  /** New priorities (|TD error|) for the samples at `indices`. */
  updatePriorities(indices: Int32Array, tdErrors: Float32Array): void {
    if (this.sum === undefined) return;
    for (let i = 0; i < indices.length; i++) {
      const p = Math.abs(tdErrors[i] as number) + 1e-6;
      this.setPriority(indices[i] as number, p);
      if (p > this.maxPriority) this.maxPriority = p;
    }
  }

  private setPriority(slot: number, p: number): void {
    if (this.sum === undefined || this.min === undefined || this.prioritized === undefined) return;
    const v = Math.pow(p, this.prioritized.alpha);
    this.sum.set(slot, v);
    this.min.set(slot, v);
  }

  private take(indices: Int32Array): DqnBatch {
    const cols = this.columns as Record<Column, Float32Array>;
    const widths = this.widths as Record<Column, number>;
    const out = Object.fromEntries(
      COLUMNS.map((c) => {
        const w = widths[c];
        const dst = new Float32Array(indices.length * w);
        indices.forEach((slot, i) => dst.set(cols[c].subarray(slot * w, (slot + 1) * w), i * w));
        return [c, dst];
      }),
    ) as Record<Column, Float32Array>;
    return { kind: "dqn", count: indices.length, ...out };
  }
}
