/**
 * `lux.util.collective`: operations among the actors of a group on typed arrays, in place
 * (Ray's `ray.util.collective`). Data goes from process to process (shared memory within a
 * node, sockets between nodes), never through the control service.
 */
import { CollectiveError } from "@lux/core";
import { actorIdOf } from "@lux/core/internal";
import type { CollectiveGroup } from "./group.js";
import { memberships } from "./membership.js";
import {
  arrayOf,
  groupNameOf,
  rankOf,
  reduceOpOf,
  timeoutOf,
  worldSizeOf,
  type AllreduceOptions,
  type BroadcastOptions,
  type CreateCollectiveGroupOptions,
  type GroupOptions,
  type InitCollectiveGroupOptions,
  type OperationOptions,
  type RecvOptions,
  type ReduceOptions,
  type SendOptions,
  type SharedArrayOptions,
} from "./options.js";
import { MAX_SHARED_BYTES, makeSharedArray } from "./shared-arrays.js";
import { dtypeOf, isCollectiveArrayType, type CollectiveArray, type CollectiveArrayType } from "./typed-arrays.js";

const api = (call: string): string => `lux.util.collective.${call}`;

/**
 * Declares a group of `actors` from the driver (or any process): actor `actors[i]` is rank
 * i. Each actor joins at its first operation on the group; none needs to call anything first.
 */
export async function createCollectiveGroup(actors: readonly object[], options: CreateCollectiveGroupOptions = {}): Promise<void> {
  const name = groupNameOf(options, "createCollectiveGroup");
  const ids = Array.isArray(actors) ? actors.map((a) => actorIdOf(a)) : [];
  if (ids.length === 0 || ids.some((id) => id === undefined)) {
    throw new TypeError(`${api("createCollectiveGroup")}() takes a non-empty array of actor handles`);
  }
  if (new Set(ids).size !== ids.length) throw new TypeError(`${api("createCollectiveGroup")}(): an actor is listed twice; each actor is one rank`);
  await memberships(api("createCollectiveGroup")).declare(name, actors);
}

/** Joins this process (an actor) to a group as `rank` of `worldSize`; every member calls it, each with its own rank. */
export async function initCollectiveGroup(options: InitCollectiveGroupOptions): Promise<void> {
  const call = "initCollectiveGroup";
  const name = groupNameOf(options, call);
  const worldSize = worldSizeOf(options, call);
  const rank = rankOf(options, call, "rank", worldSize);
  await memberships(api(call)).init(name, rank, worldSize);
}

/**
 * Leaves the group in this process: its operations running here fail, its links close (the
 * other members' operations with this rank then fail too). Called in a process that is not a
 * member (the driver that created the group), it removes the group's records, so a group of
 * that name can be created again.
 */
export async function destroyCollectiveGroup(groupName = "default"): Promise<void> {
  const name = groupNameOf({ groupName }, "destroyCollectiveGroup");
  await memberships(api("destroyCollectiveGroup")).destroy(name);
}

/** This process's rank in the group, or -1 if it is not a member. */
export async function getRank(options: GroupOptions = {}): Promise<number> {
  return (await groupIfMember(options, "getRank"))?.rank ?? -1;
}

/** How many ranks the group has, or -1 if this process is not a member. */
export async function getCollectiveGroupSize(options: GroupOptions = {}): Promise<number> {
  return (await groupIfMember(options, "getCollectiveGroupSize"))?.worldSize ?? -1;
}

/**
 * A new array of `length` zeros of type `ArrayType` (Float32Array, Int32Array, …) whose memory
 * the other ranks of group `groupName` (default "default") on this node can map, as NCCL's
 * registered buffers: when every rank of the group runs on one node and passes such an array
 * to `allreduce`, the ranks reduce the arrays in place, each rank a part of all of them, with
 * no copy through messages. In any other case (a rank on another node, a rank passing an
 * ordinary array, another group) the array works as an ordinary one. Where shared memory is
 * not available (not Linux, or the native addon did not build) it is an ordinary array.
 * Its memory is freed once the array is garbage collected. TypeError when `ArrayType` is not
 * a typed array class collectives take, RangeError when `length` is not an integer from 0
 * to 2 GiB of elements.
 *
 * @example
 * ```ts
 * const grads = lux.util.collective.sharedArray(Float32Array, 1 << 20);
 * // … fill grads …
 * await lux.util.collective.allreduce(grads);   // in place, among the ranks of one node
 * ```
 */
export function sharedArray<A extends CollectiveArray>(ArrayType: CollectiveArrayType<A>, length: number, options: SharedArrayOptions = {}): A {
  const call = "sharedArray";
  const name = groupNameOf(options, call);
  if (!isCollectiveArrayType(ArrayType)) {
    throw new TypeError(`${api(call)}() takes a typed array class (Float32Array, Float64Array, Int32Array, … BigInt64Array), got ${describeType(ArrayType)}`);
  }
  const size = ArrayType.BYTES_PER_ELEMENT;
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0 || length * size > MAX_SHARED_BYTES) {
    throw new RangeError(`${api(call)}() takes a length from 0 to ${MAX_SHARED_BYTES / size} elements (2 GiB) of ${ArrayType.name}, got ${String(length)}`);
  }
  return (length > 0 ? makeSharedArray(ArrayType, length, name) : undefined) ?? new ArrayType(length);
}

function describeType(value: unknown): string {
  if (typeof value === "function") return `the function ${value.name || "(anonymous)"}`;
  return value === null ? "null" : typeof value;
}

/** Combines `arr` element-wise over every rank (`op`, default SUM): each rank's array ends with the result. */
export async function allreduce<A extends CollectiveArray>(arr: A, options: AllreduceOptions = {}): Promise<A> {
  const group = await groupOf(options, "allreduce");
  const [op, timeoutMs] = checked(group, "allreduce", () => [reduceOpOf(options, "allreduce"), timeout(arr, options, "allreduce")] as const);
  await group.allreduce(arr, op, timeoutMs);
  return arr;
}

/** Combines `arr` over every rank into rank `dstRank`'s array (default 0); the others' arrays do not change. */
export async function reduce<A extends CollectiveArray>(arr: A, options: ReduceOptions = {}): Promise<A> {
  const group = await groupOf(options, "reduce");
  const [op, dst, timeoutMs] = checked(
    group,
    "reduce",
    () => [reduceOpOf(options, "reduce"), rankOf(options, "reduce", "dstRank", group.worldSize, 0), timeout(arr, options, "reduce")] as const,
  );
  await group.reduce(arr, op, dst, timeoutMs);
  return arr;
}

/** Copies rank `srcRank`'s array (default 0) into every rank's `arr`. */
export async function broadcast<A extends CollectiveArray>(arr: A, options: BroadcastOptions = {}): Promise<A> {
  const group = await groupOf(options, "broadcast");
  const [src, timeoutMs] = checked(group, "broadcast", () => [rankOf(options, "broadcast", "srcRank", group.worldSize, 0), timeout(arr, options, "broadcast")] as const);
  await group.broadcast(arr, src, timeoutMs);
  return arr;
}

/**
 * Gathers every rank's `arr` into `outArrays` on every rank: `outArrays[r]` gets rank r's
 * array (as Ray's `allgather(tensor_list, tensor)`). `outArrays` has one array per rank, each
 * of `arr`'s type and length (`outArrays[rank]` may be `arr` itself).
 */
export async function allgather<A extends CollectiveArray>(outArrays: A[], arr: A, options: OperationOptions = {}): Promise<A[]> {
  const group = await groupOf(options, "allgather");
  const timeoutMs = checked(group, "allgather", () => {
    const ms = timeout(arr, options, "allgather");
    checkOutArrays(outArrays, arr, group.worldSize);
    return ms;
  });
  await group.allgather(outArrays, arr, timeoutMs);
  return outArrays;
}

/** Waits until every rank of the group has called barrier. */
export async function barrier(options: OperationOptions = {}): Promise<void> {
  const group = await groupOf(options, "barrier");
  const timeoutMs = checked(group, "barrier", () => timeoutOf(options, "barrier"));
  await group.barrier(timeoutMs);
}

/** Sends `arr` to rank `dstRank`, which receives it with `recv`. Resolves once sent. */
export async function send(arr: CollectiveArray, options: SendOptions): Promise<void> {
  const group = await groupOf(options, "send");
  const dst = rankOf(options, "send", "dstRank", group.worldSize);
  if (dst === group.rank) throw new RangeError(`${api("send")}(): dstRank ${dst} is this process's own rank`);
  const timeoutMs = checked(group, "send", () => timeout(arr, options, "send"), dst);
  await group.send(arr, dst, timeoutMs);
}

/** Receives into `arr` what rank `srcRank` sends with `send` (an array of the same type and length). */
export async function recv<A extends CollectiveArray>(arr: A, options: RecvOptions): Promise<A> {
  const group = await groupOf(options, "recv");
  const src = rankOf(options, "recv", "srcRank", group.worldSize);
  if (src === group.rank) throw new RangeError(`${api("recv")}(): srcRank ${src} is this process's own rank`);
  const timeoutMs = checked(group, "recv", () => timeout(arr, options, "recv"), src);
  await group.recv(arr, src, timeoutMs);
  return arr;
}

async function groupOf(options: unknown, call: string): Promise<CollectiveGroup> {
  const name = groupNameOf(options, call);
  return (await memberships(api(call)).member(name, call)).group;
}

/** The group, joining a declared one; undefined when this process is no member. */
async function groupIfMember(options: unknown, call: string): Promise<CollectiveGroup | undefined> {
  const name = groupNameOf(options, call);
  const all = memberships(api(call));
  try {
    return (await all.member(name, call)).group;
  } catch (e) {
    if (e instanceof CollectiveError) return undefined;
    throw e;
  }
}

/** The array is checked, then the timeout. */
function timeout(arr: unknown, options: unknown, call: string): number {
  arrayOf(arr, call);
  return timeoutOf(options, call);
}

/**
 * The checks of a call's arguments, once its group is known. A call refused here still takes
 * its turn in the group (its number), and tells the other ranks at once (group.refuse).
 */
function checked<T>(group: CollectiveGroup, call: string, check: () => T, peer?: number): T {
  try {
    return check();
  } catch (e) {
    return group.refuse(call, e as Error, peer);
  }
}

function checkOutArrays(outs: unknown, arr: CollectiveArray, worldSize: number): void {
  if (!Array.isArray(outs) || outs.length !== worldSize) {
    throw new TypeError(`${api("allgather")}() takes an array of ${worldSize} typed arrays (one per rank) to fill, got ${Array.isArray(outs) ? `${outs.length}` : typeof outs}`);
  }
  outs.forEach((out, r) => {
    const a = arrayOf(out, "allgather", `outArrays[${r}]`);
    if (dtypeOf(a) !== dtypeOf(arr) || a.length !== arr.length) {
      throw new TypeError(`${api("allgather")}(): outArrays[${r}] is a ${dtypeOf(a)} of ${a.length} elements, not a ${dtypeOf(arr)} of ${arr.length} like the array`);
    }
  });
}
