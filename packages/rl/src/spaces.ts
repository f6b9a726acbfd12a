/**
 * Observation and action spaces (gymnasium's `Box` and `Discrete`): what values an env
 * gives and takes, so that checks and models can be built without running it. Spaces are
 * plain data and travel to env-runner actors as they are.
 */
import type { RandomSource } from "./rng.js";

type Bound = number | readonly number[] | Float32Array;

/** A box of real vectors with per-element bounds (possibly infinite). `shape` is its dimensions. */
export class Box {
  readonly kind = "Box" as const;
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;

  constructor(options: { low: Bound; high: Bound; shape?: readonly number[] }) {
    const shape = options.shape ?? shapeOf(options.low, options.high);
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new RangeError(`Box: shape must be a non-empty list of positive integers, got [${shape.join(", ")}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    this.shape = [...shape];
    this.low = fill(options.low, size, "low");
    this.high = fill(options.high, size, "high");
    for (let i = 0; i < size; i++) {
      if (!((this.low[i] as number) <= (this.high[i] as number))) {
        throw new RangeError(`Box: low[${i}] = ${this.low[i]} is above high[${i}] = ${this.high[i]}`);
      }
    }
  }

  /** The number of elements of a value. */
  get size(): number {
    return this.low.length;
  }

  /** Whether `x` is an array (or typed array) of this size within the bounds, with no NaN. */
  contains(x: unknown): boolean {
    if (!isNumberArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      // Compared as float32, as gymnasium's float32 boxes are.
      const f = Math.fround(v);
      if (Number.isNaN(v) || f < (this.low[i] as number) || f > (this.high[i] as number)) return false;
    }
    return true;
  }

  /** A random value: uniform where both bounds are finite, else normal or exponential from the finite bound. */
  sample(rng: RandomSource): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) {
      const lo = this.low[i] as number;
      const hi = this.high[i] as number;
      const u = rng.random();
      if (Number.isFinite(lo) && Number.isFinite(hi)) out[i] = lo + (hi - lo) * u;
      else if (Number.isFinite(lo)) out[i] = lo - Math.log(1 - u);
      else if (Number.isFinite(hi)) out[i] = hi + Math.log(1 - u);
      else out[i] = normalFrom(rng);
    }
    return out;
  }

  toString(): string {
    const same = (a: Float32Array): string => (a.every((v) => v === a[0]) ? String(a[0]) : `[${[...a].map(short).join(", ")}]`);
    return `Box(low=${same(this.low)}, high=${same(this.high)}, shape=[${this.shape.join(", ")}])`;
  }
}

/** The integers 0 … n-1. */
export class Discrete {
  readonly kind = "Discrete" as const;
  readonly n: number;

  constructor(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
    this.n = n;
  }

  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= 0 && x < this.n;
  }

  sample(rng: RandomSource): number {
    return Math.floor(rng.random() * this.n);
  }

  toString(): string {
    return `Discrete(${this.n})`;
  }
}

/** A space: what `observationSpace` and `actionSpace` are. */
export type Space = Box | Discrete;

/** A space given as a plain object (as it arrives in another process), made a class again. */
export function reviveSpace(s: Space | { kind: "Box"; low: Bound; high: Bound; shape: readonly number[] } | { kind: "Discrete"; n: number }): Space {
  if (s instanceof Box || s instanceof Discrete) return s;
  return s.kind === "Discrete" ? new Discrete(s.n) : new Box({ low: s.low, high: s.high, shape: s.shape });
}

/** Whether `value` is a space this package knows. */
export function isSpace(value: unknown): value is Space {
  return value instanceof Box || value instanceof Discrete;
}

/** The size of a value of `space` as a model input: a Box's elements, or n (one-hot) for Discrete. */
export function flatDim(space: Space): number {
  return space.kind === "Box" ? space.size : space.n;
}

function shapeOf(low: Bound, high: Bound): number[] {
  if (typeof low !== "number") return [low.length];
  if (typeof high !== "number") return [high.length];
  throw new RangeError("Box: give shape when low and high are both numbers");
}

function fill(b: Bound, size: number, name: string): Float32Array {
  if (typeof b === "number") return new Float32Array(size).fill(b);
  if (b.length !== size) throw new RangeError(`Box: ${name} has ${b.length} elements, shape needs ${size}`);
  return Float32Array.from(b);
}

function isNumberArray(x: unknown): x is ArrayLike<number> {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return !(x instanceof BigInt64Array || x instanceof BigUint64Array);
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

function normalFrom(rng: RandomSource): number {
  let u = 0;
  while (u === 0) u = rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.random());
}

function short(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : v > 0 ? "inf" : "-inf";
}
