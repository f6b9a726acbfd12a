/** The options of lux.util.collective's calls, checked once at the call site. */
import { InvalidOptionError } from "@lux/core";
import { REDUCE_OPS, dtypeOf, type CollectiveArray, type ReduceOp } from "./typed-arrays.js";

/** Names the group a call is about. */
export interface GroupOptions {
  /** The group's name. Default "default". */
  groupName?: string;
}

/** Options every operation takes. */
export interface OperationOptions extends GroupOptions {
  /** Reject with CollectiveError if the operation has not completed after this many ms. Default 30,000. */
  timeoutMs?: number;
}

/** Options of `allreduce`. */
export interface AllreduceOptions extends OperationOptions {
  /** How elements combine. Default "SUM". */
  op?: ReduceOp;
}

/** Options of `reduce`. */
export interface ReduceOptions extends AllreduceOptions {
  /** The rank that gets the result (the others' arrays stay as they were). Default 0. */
  dstRank?: number;
}

/** Options of `broadcast`. */
export interface BroadcastOptions extends OperationOptions {
  /** The rank whose array every rank gets. Default 0. */
  srcRank?: number;
}

/** Options of `send`. */
export interface SendOptions extends OperationOptions {
  /** The rank that receives (with `recv`). */
  dstRank: number;
}

/** Options of `recv`. */
export interface RecvOptions extends OperationOptions {
  /** The rank that sends (with `send`). */
  srcRank: number;
}

/** Options of `sharedArray`. */
export interface SharedArrayOptions extends GroupOptions {}

/** Options of `createCollectiveGroup`. */
export interface CreateCollectiveGroupOptions extends GroupOptions {}

/** Options of `initCollectiveGroup`. */
export interface InitCollectiveGroupOptions extends GroupOptions {
  /** How many ranks the group has. */
  worldSize: number;
  /** This process's rank: 0 to worldSize - 1, a different one in each member. */
  rank: number;
}

export const DEFAULT_GROUP = "default";
const DEFAULT_TIMEOUT_MS = 30_000;

function objectOf(options: unknown, call: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`lux.util.collective.${call}() takes an options object, got ${options === null ? "null" : typeof options}`);
  }
  return options as Record<string, unknown>;
}

/** The group a call names (checked: a non-empty string without "/", at most 200 characters). */
export function groupNameOf(options: unknown, call: string): string {
  const { groupName = DEFAULT_GROUP } = objectOf(options, call);
  if (typeof groupName !== "string" || groupName === "" || groupName.length > 200 || groupName.includes("/")) {
    throw new InvalidOptionError({ option: "groupName", expected: 'a non-empty string without "/", of at most 200 characters', received: groupName });
  }
  return groupName;
}

export function timeoutOf(options: unknown, call: string): number {
  const { timeoutMs = DEFAULT_TIMEOUT_MS } = objectOf(options, call);
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionError({ option: "timeoutMs", expected: "a finite number of milliseconds > 0", received: timeoutMs });
  }
  return timeoutMs;
}

export function reduceOpOf(options: unknown, call: string): ReduceOp {
  const { op = "SUM" } = objectOf(options, call);
  if (!REDUCE_OPS.includes(op as ReduceOp)) throw new InvalidOptionError({ option: "op", expected: `one of ${REDUCE_OPS.map((o) => `"${o}"`).join(", ")}`, received: op });
  return op as ReduceOp;
}

/** The rank option `name` (srcRank, dstRank, rank): an integer in [0, worldSize); `fallback` when absent, if there is one. */
export function rankOf(options: unknown, call: string, name: string, worldSize: number, fallback?: number): number {
  const value = objectOf(options, call)[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= worldSize) {
    throw new InvalidOptionError({ option: name, expected: `a rank of the group: an integer from 0 to ${worldSize - 1}`, received: value });
  }
  return value;
}

export function worldSizeOf(options: unknown, call: string): number {
  const { worldSize } = objectOf(options, call);
  if (typeof worldSize !== "number" || !Number.isSafeInteger(worldSize) || worldSize < 1) {
    throw new InvalidOptionError({ option: "worldSize", expected: "an integer >= 1", received: worldSize });
  }
  return worldSize;
}

/** `value` as the array of a call (argument `what`); TypeError naming the types taken otherwise. */
export function arrayOf(value: unknown, call: string, what = "array"): CollectiveArray {
  if (dtypeOf(value) === undefined) {
    throw new TypeError(
      `lux.util.collective.${call}() takes a typed array as its ${what} (Float32Array, Float64Array, Int32Array, … BigInt64Array), got ${describe(value)}`,
    );
  }
  return value as CollectiveArray;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return typeof value;
}
