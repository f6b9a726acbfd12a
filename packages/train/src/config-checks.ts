/** The checks of a trainer's option fields, each throwing InvalidOptionError naming its field. */
import { InvalidOptionError } from "lux";
import { Checkpoint } from "./checkpoint.js";
import type { TrainBackend } from "./backend.js";
import type { AnyDataset } from "./config.js";

export function fail(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `value` as an object of the `known` keys only; an unknown key is named with its path (e.g. `scalingConfig.numWorker`). */
export function checkKeys(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) fail(field, "an object", value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const where = field === "options" ? key : `${field}.${key}`;
      fail(where, `no such key: ${field === "options" ? "the options" : field} take${field === "options" ? "" : "s"} ${known.join(", ")}`, value[key]);
    }
  }
  return value;
}

/** A resource set: finite numbers >= 0, at least one of them positive. */
export function checkResources(value: unknown, field: string): Record<string, number> {
  if (!isPlainObject(value)) fail(field, "an object of resource amounts, e.g. { CPU: 1 }", value);
  const out: Record<string, number> = {};
  for (const [name, amount] of Object.entries(value)) {
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) fail(`${field}.${name}`, "a number >= 0", amount);
    out[name] = amount;
  }
  if (!Object.values(out).some((a) => a > 0)) fail(field, "at least one resource amount > 0", value);
  return out;
}

export function checkName(value: unknown): string {
  if (typeof value !== "string" || value === "" || value === "." || value === ".." || /[/\\\0]/.test(value)) {
    fail("runConfig.name", "a non-empty folder name (no / or \\)", value);
  }
  return value;
}

export function checkDatasets(value: unknown): Record<string, AnyDataset> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) fail("datasets", "an object of datasets by name, e.g. { train: ds }", value);
  // Known by its shape, not `instanceof`: importing @lux/data here would load it (Arrow, Parquet)
  // in every training worker, which costs a worker half a second at start.
  for (const [name, ds] of Object.entries(value)) {
    if (typeof (ds as Partial<AnyDataset> | null)?.streamingSplit !== "function") fail(`datasets.${name}`, "a Dataset of @lux/data", ds);
  }
  return value as Record<string, AnyDataset>;
}

export function checkCheckpoint(value: unknown, field: string): Checkpoint | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Checkpoint)) fail(field, "a Checkpoint (train.Checkpoint.fromDirectory(dir))", value);
  return value;
}

const HOOKS = ["onStart", "onTrainingStart", "onShutdown"] as const;

export function checkBackend(value: unknown): TrainBackend {
  if (value === undefined) return {};
  // A plain object names only hooks; an instance of a class may have more (its hooks are methods).
  if (isPlainObject(value)) checkKeys(value, "backend", HOOKS);
  else if (typeof value !== "object" || value === null) fail("backend", "an object of hooks (onStart, onTrainingStart, onShutdown)", value);
  for (const hook of HOOKS) {
    const fn = (value as Record<string, unknown>)[hook];
    if (fn !== undefined && typeof fn !== "function") fail(`backend.${hook}`, "a function", fn);
  }
  return value as TrainBackend;
}
