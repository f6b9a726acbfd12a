/**
 * What `train.report(metrics)` takes: an object of values that travel (numbers, strings,
 * booleans, null, arrays and plain objects of them, typed arrays, Dates). A number must be
 * finite. A bad one throws InvalidMetricError naming its key path (`loss`, `eval.acc`).
 */
import { InvalidMetricError } from "lux";

/**
 * A report's metrics (rank 0's become the result's); values are data, numbers finite. Typed
 * loosely on purpose: they are the user's own shape, read as `result.metrics.loss`.
 */
export type Metrics = Record<string, any>;

const MAX_DEPTH = 16;

export function checkMetrics(metrics: unknown): Metrics {
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics) || !isPlain(metrics)) {
    throw new TypeError(`train.report() takes an object of metrics, e.g. { loss: 0.1, epoch: 3 }, got ${metrics === null ? "null" : Array.isArray(metrics) ? "an array" : typeof metrics}`);
  }
  for (const [key, value] of Object.entries(metrics)) checkValue(value, key, 0);
  return metrics as Metrics;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function bad(key: string, problem: string): never {
  throw new InvalidMetricError({ metric: key, problem: `${problem}; train.report() takes data: finite numbers, strings, booleans, null, and arrays and plain objects of them` });
}

function checkValue(value: unknown, key: string, depth: number): void {
  if (depth > MAX_DEPTH) bad(key, `is nested more than ${MAX_DEPTH} levels deep`);
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) bad(key, `is ${value}, not a finite number`);
      return;
    case "string":
    case "boolean":
    case "bigint":
      return;
    case "undefined":
      bad(key, "is undefined");
    // falls through: bad() throws
    case "function":
    case "symbol":
      bad(key, `is a ${typeof value}, which cannot be sent`);
  }
  if (value === null || value instanceof Date || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => checkValue(v, `${key}[${i}]`, depth + 1));
    return;
  }
  if (!isPlain(value as object)) bad(key, `is an instance of ${(value as object).constructor?.name ?? "a class"}, not data`);
  for (const [k, v] of Object.entries(value as object)) checkValue(v, `${key}.${k}`, depth + 1);
}
