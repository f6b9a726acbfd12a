/**
 * `train.collective`: allreduce, broadcast, allgather and barrier among the trainer's workers
 * (the group is the worker group; no setup), on `lux.util.collective`. Every rank gets the
 * same bits. Ranks that disagree (lengths, element types) all reject with CollectiveError
 * naming each rank's call; a peer that died fails the others' operation at once, and one that
 * never calls fails it after the trainer's `collectiveTimeoutMs`.
 */
import * as lux from "lux";
import { InvalidOptionError } from "lux";
import { currentSession, type TrainSession } from "./session.js";

/** The arrays collectives take: Float32Array, Float64Array, Int32Array (and the other numeric typed arrays). */
export type CollectiveArray = lux.util.collective.CollectiveArray;

/** How `allreduce` combines the ranks' elements. */
export type ReduceOp = "sum" | "mean" | "min" | "max";

const OPS: Readonly<Record<ReduceOp, lux.util.collective.ReduceOp>> = { sum: "SUM", mean: "SUM", min: "MIN", max: "MAX" };

interface Timeout {
  /** Overrides the trainer's `collectiveTimeoutMs` for this call. */
  timeoutMs?: number;
}

export interface AllreduceOptions extends Timeout {
  /** Default "sum". "mean" is the sum divided by the number of ranks (rounded toward zero for integers). */
  op?: ReduceOp;
}

export interface BroadcastOptions extends Timeout {
  /** The rank whose array every rank gets. Default 0. */
  srcRank?: number;
}

function session(call: string): TrainSession {
  return currentSession(`train.collective.${call}()`);
}

function groupOptions(s: TrainSession, options: Timeout): { groupName: string; timeoutMs: number } {
  return { groupName: s.state.groupName, timeoutMs: options.timeoutMs ?? s.state.collectiveTimeoutMs };
}

/** The class of a CollectiveArray (Float32Array, Int32Array, …), as `sharedArray` takes it. */
export type CollectiveArrayType<A extends CollectiveArray> = lux.util.collective.CollectiveArrayType<A>;

/**
 * A new array of `length` zeros of type `ArrayType` in shared memory, for this trainer's
 * workers: when all of them run on one node and pass such arrays to `allreduce`, they reduce
 * the arrays in place, with no copy through messages (`lux.util.collective.sharedArray`, for
 * the trainer's group). Elsewhere it works as an ordinary array. Call it in the train loop.
 */
export function sharedArray<A extends CollectiveArray>(ArrayType: CollectiveArrayType<A>, length: number): A {
  const s = session("sharedArray");
  return lux.util.collective.sharedArray(ArrayType, length, { groupName: s.state.groupName });
}

/** Combines `arr` element-wise over every rank, in place; resolves to `arr`. */
export async function allreduce<A extends CollectiveArray>(arr: A, options: AllreduceOptions = {}): Promise<A> {
  const s = session("allreduce");
  const op = options.op ?? "sum";
  if (!Object.hasOwn(OPS, op)) {
    throw new InvalidOptionError({ option: "op", expected: `one of ${Object.keys(OPS).map((o) => `"${o}"`).join(", ")}`, received: op });
  }
  await lux.util.collective.allreduce(arr, { ...groupOptions(s, options), op: OPS[op] });
  if (op === "mean") divide(arr, s.state.context.worldSize);
  return arr;
}

function divide(arr: CollectiveArray, n: number): void {
  if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) {
    const d = BigInt(n);
    for (let i = 0; i < arr.length; i++) arr[i] = (arr[i] as bigint) / d;
  } else if (arr instanceof Float32Array || arr instanceof Float64Array) {
    for (let i = 0; i < arr.length; i++) arr[i] = (arr[i] as number) / n;
  } else {
    for (let i = 0; i < arr.length; i++) arr[i] = Math.trunc((arr[i] as number) / n);
  }
}

/** Copies rank `srcRank`'s array (default 0) into every rank's `arr`; resolves to `arr`. */
export async function broadcast<A extends CollectiveArray>(arr: A, options: BroadcastOptions = {}): Promise<A> {
  const s = session("broadcast");
  await lux.util.collective.broadcast(arr, { ...groupOptions(s, options), srcRank: options.srcRank ?? 0 });
  return arr;
}

/** Every rank's `arr`, as new arrays: element r is rank r's. */
export async function allgather<A extends CollectiveArray>(arr: A, options: Timeout = {}): Promise<A[]> {
  const s = session("allgather");
  if (!ArrayBuffer.isView(arr)) throw new TypeError(`train.collective.allgather() takes a typed array, got ${typeof arr}`);
  const Ctor = arr.constructor as new (length: number) => A;
  const out = Array.from({ length: s.state.context.worldSize }, () => new Ctor(arr.length));
  await lux.util.collective.allgather(out, arr, groupOptions(s, options));
  return out;
}

/** Resolves once every rank called it. */
export async function barrier(options: Timeout = {}): Promise<void> {
  const s = session("barrier");
  await lux.util.collective.barrier(groupOptions(s, options));
}
