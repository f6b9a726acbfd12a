/**
 * Model weights as plain data: a record of named float32 arrays (kernels row-major as
 * [inputs, outputs]). What `getWeights()` returns, what is `lux.put` once per update for the
 * env runners, and what checkpoints hold. The order of names is the model's.
 */
export type Weights = Record<string, Float32Array>;

/** A copy of `w` (no array shared). */
export function copyWeights(w: Weights): Weights {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float32Array.from(v)]));
}

/** All of `w` in one array, in its names' order, and back. */
export function flattenWeights(w: Weights): Float32Array {
  const total = Object.values(w).reduce((n, a) => n + a.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const a of Object.values(w)) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function unflattenWeights(flat: Float32Array, like: Weights): Weights {
  const out: Weights = {};
  let at = 0;
  for (const [k, a] of Object.entries(like)) {
    out[k] = flat.slice(at, at + a.length);
    at += a.length;
  }
  return out;
}

/** Whether two sets of weights have the same names and bitwise-equal values. */
export function weightsEqual(a: Weights, b: Weights): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}
