/**
 * Options of transforms, checked where they are given: a bad one throws InvalidOptionError
 * (naming it) from the method that received it.
 */
import { InvalidOptionError } from "lux";
import { BATCH_FORMATS } from "./batch.js";
import type { ActorCompute, TaskCompute } from "./plan.js";
import type { BatchFormat } from "./types.js";

/** Options of every map-like transform. */
export interface ComputeOptions {
  /** CPUs per task (or per actor of a class UDF's pool). Default 1. */
  numCpus?: number;
  /** Retries of a task whose worker died (or threw, for class UDF calls: see maxTaskRetries). Default 3. */
  maxRetries?: number;
}

export interface MapOptions extends ComputeOptions {
  /** At most this many tasks of this step at once. */
  concurrency?: number;
}

export interface MapBatchesOptions<F extends BatchFormat = "columns"> extends ComputeOptions {
  /** Rows per batch (the last of a block may be smaller); default: a whole block. */
  batchSize?: number;
  /** What the function gets: "columns" (default), "arrow" (an Arrow Table) or "rows". */
  batchFormat?: F;
  /** Tasks at once for a function; for a class (required): actors, `n` or `[min, max]` (the pool grows while blocks wait). */
  concurrency?: number | readonly [number, number];
  /** Arguments of a class UDF's constructor (run once per actor). */
  fnConstructorArgs?: readonly unknown[];
  /** Restarts of a class UDF's actor that died (-1: always). Default 0. */
  maxRestarts?: number;
  /** Retries of a call whose actor died (-1: always). Default 0. */
  maxTaskRetries?: number;
}

export function isClass(fn: unknown): boolean {
  return typeof fn === "function" && /^class\b/.test(Function.prototype.toString.call(fn));
}

function fail(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}

function checkCount(option: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) fail(option, `an integer >= ${min}`, value);
  return value;
}

export function checkBatchSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return checkCount("batchSize", value, 1);
}

export function checkBatchFormat(value: unknown): BatchFormat {
  if (value === undefined) return "columns";
  if (!BATCH_FORMATS.includes(value as BatchFormat)) fail("batchFormat", `one of ${BATCH_FORMATS.map((f) => `"${f}"`).join(", ")}`, value);
  return value as BatchFormat;
}

function checkNumCpus(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== "number" || !(value >= 0)) fail("numCpus", "a number >= 0", value);
  return value;
}

function checkRetries(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === -1) return -1;
  return checkCount(option, value, 0);
}

export function taskCompute(options: MapOptions | MapBatchesOptions<BatchFormat>, fnIsFunction = true): TaskCompute {
  if (fnIsFunction && (options as MapBatchesOptions<BatchFormat>).fnConstructorArgs !== undefined) {
    fail("fnConstructorArgs", "no value: it is for a class UDF (its constructor's arguments), and this UDF is a function", (options as MapBatchesOptions<BatchFormat>).fnConstructorArgs);
  }
  const concurrency = options.concurrency;
  if (concurrency !== undefined && typeof concurrency !== "number") fail("concurrency", "an integer >= 1 for a function UDF (tasks at once)", concurrency);
  return {
    kind: "tasks",
    numCpus: checkNumCpus(options.numCpus),
    maxRetries: checkRetries("maxRetries", options.maxRetries, 3),
    concurrency: concurrency === undefined ? undefined : checkCount("concurrency", concurrency, 1),
  };
}

export function actorCompute(cls: ActorCompute["cls"], name: string, options: MapBatchesOptions<BatchFormat>): ActorCompute {
  const c = options.concurrency;
  if (c === undefined) fail("concurrency", `a size for ${name}'s actor pool: n or [min, max] (a class UDF runs on actors)`, c);
  let min: number;
  let max: number;
  if (typeof c === "number") min = max = checkCount("concurrency", c, 1);
  else if (Array.isArray(c) && c.length === 2) {
    min = checkCount("concurrency", c[0], 1);
    max = checkCount("concurrency", c[1], 1);
    if (min > max) fail("concurrency", "[min, max] with 1 <= min <= max", c);
  } else fail("concurrency", "n or [min, max] with 1 <= min <= max", c);
  const args = options.fnConstructorArgs ?? [];
  if (!Array.isArray(args)) fail("fnConstructorArgs", "an array of the constructor's arguments", args);
  return {
    kind: "actors",
    cls,
    ctorArgs: args,
    min,
    max,
    numCpus: checkNumCpus(options.numCpus),
    maxRestarts: checkRetries("maxRestarts", options.maxRestarts, 0),
    maxTaskRetries: checkRetries("maxTaskRetries", options.maxTaskRetries, 0),
  };
}
