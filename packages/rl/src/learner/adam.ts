/**
 * Adam over a flat float32 parameter vector, in plain TypeScript: gradients come from tfjs,
 * the step is taken here, so the optimizer's state is plain arrays (checkpointed as they are)
 * and every data-parallel learner applying the same averaged gradient gets the same bits.
 */
export interface AdamState {
  /** Steps taken. */
  t: number;
  m: Float32Array;
  v: Float32Array;
}

export class Adam {
  state: AdamState;

  constructor(
    size: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-5,
  ) {
    this.state = { t: 0, m: new Float32Array(size), v: new Float32Array(size) };
  }

  /** params -= lr · m̂ / (√v̂ + ε), in place. */
  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const s = this.state;
    s.t++;
    const c1 = 1 - Math.pow(this.beta1, s.t);
    const c2 = 1 - Math.pow(this.beta2, s.t);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] as number;
      const m = this.beta1 * (s.m[i] as number) + (1 - this.beta1) * g;
      const v = this.beta2 * (s.v[i] as number) + (1 - this.beta2) * g * g;
      s.m[i] = m;
      s.v[i] = v;
      params[i] = (params[i] as number) - (lr * (m / c1)) / (Math.sqrt(v / c2) + this.epsilon);
    }
  }
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGlobalNorm(grads: Float32Array, maxNorm: number | undefined): number {
  let sq = 0;
  for (const g of grads) sq += g * g;
  const norm = Math.sqrt(sq);
  if (maxNorm !== undefined && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) * scale;
  }
  return norm;
}
