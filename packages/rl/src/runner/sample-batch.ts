/**
 * What env runners send back: typed-array columns (through the object store when large) and
 * the episodes they finished. PPO's columns carry advantages and value targets computed in
 * the runner (GAE); DQN's are n-step transitions.
 */

export interface PpoBatch {
  readonly kind: "ppo";
  readonly count: number;
  /** count × the model's input size. */
  readonly obs: Float32Array;
  /** count × the action size (1 for Discrete). */
  readonly actions: Float32Array;
  readonly logp: Float32Array;
  readonly vfPreds: Float32Array;
  readonly advantages: Float32Array;
  readonly valueTargets: Float32Array;
}

export interface DqnBatch {
  readonly kind: "dqn";
  readonly count: number;
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  /** The n-step discounted return. */
  readonly rewards: Float32Array;
  readonly nextObs: Float32Array;
  /** 1 when the transition ends in a terminal state (no bootstrap), else 0. */
  readonly terminateds: Float32Array;
  /** gamma^k for the k steps the transition spans: the bootstrap's factor. */
  readonly discounts: Float32Array;
}

export type SampleBatch = PpoBatch | DqnBatch;

/** Episodes a runner finished (those dropped after an env failure are left out). */
export interface Episodes {
  returns: number[];
  lengths: number[];
}

export interface RunnerSample<B extends SampleBatch = SampleBatch> {
  readonly batch: B;
  readonly episodes: Episodes;
  /** Env steps taken (the batch may hold fewer: steps of failed sub-envs are dropped). */
  readonly envSteps: number;
  readonly runner: number;
}

type Columns<B> = { [K in keyof B as B[K] extends Float32Array ? K : never]: Float32Array };

/** The batches' rows one after the other. */
export function concatBatches<B extends SampleBatch>(batches: readonly B[]): B {
  const first = batches[0];
  if (first === undefined) throw new TypeError("concatBatches: no batch");
  if (batches.length === 1) return first;
  const out: Record<string, unknown> = { kind: first.kind, count: batches.reduce((n, b) => n + b.count, 0) };
  for (const key of Object.keys(first)) {
    if (!((first as unknown as Record<string, unknown>)[key] instanceof Float32Array)) continue;
    const parts = batches.map((b) => (b as unknown as Columns<B> & Record<string, Float32Array>)[key] as Float32Array);
    const col = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      col.set(p, at);
      at += p.length;
    }
    out[key] = col;
  }
  return out as unknown as B;
}

/** Rows `indices` of `batch` (each column's row width found from its length). */
export function takeRows<B extends SampleBatch>(batch: B, indices: ArrayLike<number>): B {
  const out: Record<string, unknown> = { kind: batch.kind, count: indices.length };
  for (const [key, col] of Object.entries(batch)) {
    if (!(col instanceof Float32Array)) continue;
    const width = batch.count === 0 ? 0 : col.length / batch.count;
    const dst = new Float32Array(indices.length * width);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i] as number;
      if (width === 1) dst[i] = col[r] as number;
      else dst.set(col.subarray(r * width, (r + 1) * width), i * width);
    }
    out[key] = dst;
  }
  return out as unknown as B;
}

/** Rows [start, end) of `batch` (copies). */
export function sliceRows<B extends SampleBatch>(batch: B, start: number, end: number): B {
  return takeRows(batch, Array.from({ length: end - start }, (_, i) => start + i));
}
