/**
 * A seeded pseudo-random generator (mulberry32: 32 bits of state, so it is saved in the
 * experiment state and a restored searcher draws what it would have drawn). The same seed
 * gives the same sequence; without one, a seed is drawn from the system's randomness.
 */
import { randomInt } from "node:crypto";

export class Rng {
  private state: number;

  constructor(seed?: number) {
    this.state = seed === undefined ? randomInt(0, 2 ** 32) : Rng.mix(seed);
  }

  /** A 32-bit starting state from any finite number (so seeds 1 and 1.5 differ). */
  private static mix(seed: number): number {
    let h = 0x9e3779b9 ^ Math.trunc(seed);
    h = Math.imul(h ^ Math.trunc((seed % 1) * 2 ** 31), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [lower, upper). */
  uniform(lower: number, upper: number): number {
    return lower + (upper - lower) * this.next();
  }

  /** An integer in [lower, upper). */
  int(lower: number, upper: number): number {
    return lower + Math.floor(this.next() * (upper - lower));
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(0, values.length)] as T;
  }

  /** A seed for another generator, drawn from this one. */
  fork(): number {
    return Math.floor(this.next() * 2 ** 32);
  }

  /** The state, to save; `restore` goes back to it. */
  save(): number {
    return this.state;
  }

  restore(state: number): void {
    this.state = state >>> 0;
  }
}
