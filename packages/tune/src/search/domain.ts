/**
 * Search-space domains: what a value of a config is drawn from. `tune.uniform(0, 1)` is a
 * `Domain<number>`; in a `paramSpace` it becomes a `number` of the trial's config (see
 * `Resolve` in space.ts). Each checks its arguments when it is made (InvalidOptionError naming
 * the argument), and each but `sampleFrom` can be written to the experiment state as JSON.
 */
import { InvalidOptionError } from "lux";
import type { Rng } from "./rng.js";

/** What `sampleFrom`'s function is given: the trial's config, its other values already drawn. */
export interface SampleSpec {
  readonly config: Record<string, unknown>;
}

/** A domain as JSON (the experiment state keeps the search space in this form). */
export type DomainJSON =
  | { readonly $domain: "float"; readonly lower: number; readonly upper: number; readonly log: boolean; readonly q: number | null }
  | { readonly $domain: "normal"; readonly mean: number; readonly sd: number }
  | { readonly $domain: "integer"; readonly lower: number; readonly upper: number; readonly q: number }
  | { readonly $domain: "choice"; readonly categories: readonly unknown[] }
  | { readonly $domain: "grid"; readonly values: readonly unknown[] };

export abstract class Domain<T = unknown> {
  /** Never set: carries `T` for the type checker only. */
  declare readonly __valueType?: T;
  /** Draws a value. */
  abstract sample(rng: Rng, spec: SampleSpec): T;
  /** The domain as JSON; undefined when it cannot be written (a function). */
  abstract toJSON(): DomainJSON | undefined;
}

/** Rounds `value` to a multiple of `q` within [lower, upper], without float noise (0.30000000000000004 → 0.3). */
export function quantize(value: number, q: number, lower: number, upper: number): number {
  let v = Math.round(value / q) * q;
  if (v < lower) v += q;
  if (v > upper) v -= q;
  return Number(v.toPrecision(12));
}

/** A float between `lower` and `upper`, uniform or uniform in log scale, maybe rounded to multiples of `q`. */
export class FloatDomain extends Domain<number> {
  constructor(
    readonly lower: number,
    readonly upper: number,
    readonly log: boolean,
    readonly q: number | undefined,
  ) {
    super();
  }

  sample(rng: Rng): number {
    const v = this.log ? Math.exp(rng.uniform(Math.log(this.lower), Math.log(this.upper))) : rng.uniform(this.lower, this.upper);
    return this.q === undefined ? v : quantize(v, this.q, this.lower, this.upper);
  }

  toJSON(): DomainJSON {
    return { $domain: "float", lower: this.lower, upper: this.upper, log: this.log, q: this.q ?? null };
  }
}

/** A normally distributed float. */
export class NormalDomain extends Domain<number> {
  constructor(
    readonly mean: number,
    readonly sd: number,
  ) {
    super();
  }

  sample(rng: Rng): number {
    return this.mean + this.sd * rng.normal();
  }

  toJSON(): DomainJSON {
    return { $domain: "normal", mean: this.mean, sd: this.sd };
  }
}

/** An integer in [lower, upper) (upper exclusive), in steps of `q` from lower. */
export class IntegerDomain extends Domain<number> {
  constructor(
    readonly lower: number,
    readonly upper: number,
    readonly q: number,
  ) {
    super();
  }

  sample(rng: Rng): number {
    const steps = Math.ceil((this.upper - this.lower) / this.q);
    return this.lower + this.q * rng.int(0, steps);
  }

  toJSON(): DomainJSON {
    return { $domain: "integer", lower: this.lower, upper: this.upper, q: this.q };
  }
}

/** One of a list of values, each as likely. */
export class CategoricalDomain<T> extends Domain<T> {
  constructor(readonly categories: readonly T[]) {
    super();
  }

  sample(rng: Rng): T {
    return rng.pick(this.categories);
  }

  toJSON(): DomainJSON | undefined {
    return jsonSafe(this.categories) ? { $domain: "choice", categories: this.categories } : undefined;
  }
}

/** Every value in turn: grid axes are crossed, and the grid repeated `numSamples` times. */
export class GridSearch<T> extends Domain<T> {
  constructor(readonly values: readonly T[]) {
    super();
  }

  /** A grid value is chosen by the generator, not drawn; drawn, it is the first. */
  sample(): T {
    return this.values[0] as T;
  }

  toJSON(): DomainJSON | undefined {
    return jsonSafe(this.values) ? { $domain: "grid", values: this.values } : undefined;
  }
}

/** A value computed from the rest of the config. */
export class SampleFrom<T> extends Domain<T> {
  constructor(readonly fn: (spec: SampleSpec) => T) {
    super();
  }

  sample(_rng: Rng, spec: SampleSpec): T {
    return this.fn(spec);
  }

  toJSON(): undefined {
    return undefined;
  }
}

/** Whether `value` comes back the same from JSON. */
function jsonSafe(value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(JSON.stringify(value))) === JSON.stringify(value) && value !== undefined;
  } catch {
    return false;
  }
}

/** The domain a JSON form describes (the experiment state's search space). */
export function domainFromJSON(json: DomainJSON): Domain {
  switch (json.$domain) {
    case "float":
      return new FloatDomain(json.lower, json.upper, json.log, json.q ?? undefined);
    case "normal":
      return new NormalDomain(json.mean, json.sd);
    case "integer":
      return new IntegerDomain(json.lower, json.upper, json.q);
    case "choice":
      return new CategoricalDomain(json.categories);
    case "grid":
      return new GridSearch(json.values);
  }
}

export function invalid(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}
