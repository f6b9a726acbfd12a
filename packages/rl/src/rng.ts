/**
 * A small seeded random number generator (mulberry32 over a 32-bit state), so that envs,
 * weight initialisation, exploration and minibatch shuffles are reproducible from one seed
 * and identical in every process.
 */

/** Anything that gives uniform numbers in [0, 1): an `Rng`, or `{ random: Math.random }`. */
export interface RandomSource {
  random(): number;
}

export class Rng implements RandomSource {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = hashSeed(seed);
  }

  /** Uniform in [0, 1). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** A seed of any size (and any number, fractional or negative) spread over 32 bits. */
function hashSeed(seed: number): number {
  let h = 0x9e3779b9 ^ Math.floor(seed);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= Math.floor(seed / 4294967296);
  return (h ^ (h >>> 16)) | 0;
}

/** A seed derived from a base seed and a path of indices (runner, sub-env, purpose). */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = hashSeed(seed);
  for (const p of path) h = hashSeed(h * 31 + p);
  return h >>> 0;
}
