/**
 * The functions that make search-space domains: `tune.uniform(1e-4, 1e-1)`,
 * `tune.choice(["relu", "tanh"])`, `tune.gridSearch([1, 2])`, … Bad arguments throw
 * InvalidOptionError at once, naming the argument (`upper`, `lower`, `categories`, …).
 */
import { CategoricalDomain, FloatDomain, GridSearch, IntegerDomain, NormalDomain, SampleFrom, invalid, type SampleSpec } from "./domain.js";

function finite(value: unknown, name: string, call: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) invalid(name, `a finite number in ${call}`, value);
  return value;
}

function ordered(lower: unknown, upper: unknown, call: string): [number, number] {
  const lo = finite(lower, "lower", call);
  const hi = finite(upper, "upper", call);
  if (!(hi > lo)) invalid("upper", `a number greater than lower (${lo}) in ${call}`, upper);
  return [lo, hi];
}

function positiveLower(lower: number, call: string): void {
  if (!(lower > 0)) invalid("lower", `a number > 0 in ${call}: a log scale starts above 0`, lower);
}

function step(q: unknown, call: string, integer = false): number {
  if (typeof q !== "number" || !Number.isFinite(q) || !(q > 0) || (integer && !Number.isInteger(q))) {
    invalid("q", `${integer ? "a positive integer" : "a positive number"} in ${call}`, q);
  }
  return q;
}

function integers(lower: unknown, upper: unknown, call: string): [number, number] {
  if (typeof lower !== "number" || !Number.isInteger(lower)) invalid("lower", `an integer in ${call}`, lower);
  if (typeof upper !== "number" || !Number.isInteger(upper)) invalid("upper", `an integer in ${call}`, upper);
  return [lower, upper];
}

/** A float drawn uniformly from [lower, upper). */
export function uniform(lower: number, upper: number): FloatDomain {
  const [lo, hi] = ordered(lower, upper, "tune.uniform(lower, upper)");
  return new FloatDomain(lo, hi, false, undefined);
}

/** As `uniform`, rounded to a multiple of `q`. */
export function quniform(lower: number, upper: number, q: number): FloatDomain {
  const call = "tune.quniform(lower, upper, q)";
  const [lo, hi] = ordered(lower, upper, call);
  return new FloatDomain(lo, hi, false, step(q, call));
}

/** A float drawn uniformly in log scale from [lower, upper), lower > 0 (e.g. a learning rate from 1e-4 to 1e-1). */
export function loguniform(lower: number, upper: number, base = 10): FloatDomain {
  const call = "tune.loguniform(lower, upper)";
  const [lo, hi] = ordered(lower, upper, call);
  positiveLower(lo, call);
  checkBase(base, call);
  return new FloatDomain(lo, hi, true, undefined);
}

/** As `loguniform`, rounded to a multiple of `q`. */
export function qloguniform(lower: number, upper: number, q: number, base = 10): FloatDomain {
  const call = "tune.qloguniform(lower, upper, q)";
  const [lo, hi] = ordered(lower, upper, call);
  positiveLower(lo, call);
  checkBase(base, call);
  return new FloatDomain(lo, hi, true, step(q, call));
}

/** The base changes nothing of what is drawn (a log scale is one in any base); it is checked for Ray's signature. */
function checkBase(base: unknown, call: string): void {
  if (typeof base !== "number" || !Number.isFinite(base) || !(base > 1)) invalid("base", `a number > 1 in ${call}`, base);
}

/** A float drawn from a normal distribution. */
export function randn(mean = 0, sd = 1): NormalDomain {
  const call = "tune.randn(mean, sd)";
  finite(mean, "mean", call);
  if (!(finite(sd, "sd", call) > 0)) invalid("sd", `a number > 0 in ${call}`, sd);
  return new NormalDomain(mean, sd);
}

/** An integer drawn uniformly from [lower, upper): the upper bound is exclusive. */
export function randint(lower: number, upper: number): IntegerDomain {
  const call = "tune.randint(lower, upper)";
  const [lo, hi] = integers(lower, upper, call);
  if (!(hi > lo)) invalid("upper", `an integer greater than lower (${lo}) in ${call} (upper is exclusive)`, upper);
  return new IntegerDomain(lo, hi, 1);
}

/** An integer from lower to upper (both included) in steps of `q` from lower. */
export function qrandint(lower: number, upper: number, q = 1): IntegerDomain {
  const call = "tune.qrandint(lower, upper, q)";
  const [lo, hi] = integers(lower, upper, call);
  if (!(hi >= lo)) invalid("upper", `an integer >= lower (${lo}) in ${call} (upper is included)`, upper);
  return new IntegerDomain(lo, hi + 1, step(q, call, true));
}

/** One of `categories`, each as likely. */
export function choice<T>(categories: readonly T[]): CategoricalDomain<T> {
  if (!Array.isArray(categories) || categories.length === 0) invalid("categories", "a non-empty array in tune.choice(categories)", categories);
  return new CategoricalDomain([...categories]);
}

/** Every one of `values`: grid axes are crossed (2 axes of 3 values: 9 configs), times `numSamples`. */
export function gridSearch<T>(values: readonly T[]): GridSearch<T> {
  if (!Array.isArray(values) || values.length === 0) invalid("values", "a non-empty array in tune.gridSearch(values)", values);
  return new GridSearch([...values]);
}

/** A value computed from the config's other values: `tune.sampleFrom((spec) => spec.config.width * 2)`. */
export function sampleFrom<T>(fn: (spec: SampleSpec) => T): SampleFrom<T> {
  if (typeof fn !== "function") invalid("fn", "a function (spec) => value in tune.sampleFrom(fn)", fn);
  return new SampleFrom(fn);
}
