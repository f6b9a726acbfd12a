/**
 * What the algorithms see of one running operation: this rank, where the others run, and
 * messages to and from each peer by step name. Ranges of arrays move in chunks (at most
 * `chunkBytes` a message), so a receiver reduces or copies one chunk while the next arrives.
 */
import { bytesOf, reducePiecesInto, type CollectiveArray, type ReduceOp } from "./typed-arrays.js";
import type { Topology } from "./topology.js";

export interface Comm {
  readonly rank: number;
  /** Most bytes of one message. */
  readonly chunkBytes: number;
  /** Sends `bytes` to rank `to` as step `step`; resolves once `bytes` may change again. */
  send(to: number, step: string, bytes: Uint8Array): Promise<void>;
  /** The bytes rank `from` sent as step `step`, of their own (for small messages). */
  recv(from: number, step: string): Promise<Uint8Array>;
  /**
   * Calls `use` with the bytes rank `from` sent as step `step`, where they lie (the sender's
   * shared memory; the socket's chunks they came in, one piece or several): valid only while
   * `use` runs.
   */
  recvWith(from: number, step: string, use: (pieces: readonly Uint8Array[]) => void): Promise<void>;
  /** Like recv, into `into`, which must be as long as what was sent. */
  recvInto(from: number, step: string, into: Uint8Array): Promise<void>;
}

/** A Comm of an operation of the whole group: it also knows where every rank runs. */
export interface GroupComm extends Comm {
  readonly topology: Topology;
}

/** `comm`, whose receives use nothing before `ready` resolves (and reject if it rejects); sends go at once. */
export function receivingAfter(ready: Promise<void>, comm: GroupComm): GroupComm {
  return {
    rank: comm.rank,
    chunkBytes: comm.chunkBytes,
    topology: comm.topology,
    send: (to, step, bytes) => comm.send(to, step, bytes),
    recv: async (from, step) => {
      await ready;
      return comm.recv(from, step);
    },
    recvWith: async (from, step, use) => {
      await ready;
      return comm.recvWith(from, step, use);
    },
    recvInto: async (from, step, into) => {
      await ready;
      return comm.recvInto(from, step, into);
    },
  };
}

/** How many chunks elements [from, to) of `arr` move in, and the elements of one. */
function chunking(comm: Comm, arr: CollectiveArray, from: number, to: number): { count: number; per: number } {
  const per = Math.max(1, Math.floor(comm.chunkBytes / arr.BYTES_PER_ELEMENT));
  return { count: Math.max(1, Math.ceil((to - from) / per)), per };
}

/** Calls `each(c, start, end)` for each chunk c, elements [start, end), of [from, end) of `arr`. */
function chunks<T>(comm: Comm, arr: CollectiveArray, from: number, end: number, each: (c: number, start: number, end: number) => T): T[] {
  const { count, per } = chunking(comm, arr, from, end);
  const out: T[] = [];
  for (let c = 0; c < count; c++) {
    const start = from + c * per;
    out.push(each(c, start, Math.min(end, start + per)));
  }
  return out;
}

/**
 * Sends elements [from, end) of `arr` to `to`, as steps `${step}.0`, `${step}.1`, …; with
 * `after`, chunk c goes once `after[c]` resolves (and not if it rejects). One promise a chunk.
 */
export function sendChunks(comm: Comm, to: number, step: string, arr: CollectiveArray, from: number, end: number, after?: readonly Promise<void>[]): Promise<void>[] {
  return chunks(comm, arr, from, end, (c, start, stop) => {
    const send = (): Promise<void> => comm.send(to, `${step}.${c}`, bytesOf(arr, start, stop));
    const ready = after?.[c];
    return ready === undefined ? send() : ready.then(send);
  });
}

/** Sends elements [from, end) of `arr` to `to`, as steps `${step}.0`, `${step}.1`, … */
export async function sendRange(comm: Comm, to: number, step: string, arr: CollectiveArray, from: number, end: number): Promise<void> {
  await Promise.all(sendChunks(comm, to, step, arr, from, end));
}

/** Receives what `sendChunks` sent into elements [from, end) of `arr`; one promise a chunk. */
export function recvChunksInto(comm: Comm, sender: number, step: string, arr: CollectiveArray, from: number, end: number): Promise<void>[] {
  return chunks(comm, arr, from, end, (c, start, stop) => comm.recvInto(sender, `${step}.${c}`, bytesOf(arr, start, stop)));
}

/** Receives what `sendRange` sent into elements [from, end) of `arr`. */
export async function recvRangeInto(comm: Comm, sender: number, step: string, arr: CollectiveArray, from: number, end: number): Promise<void> {
  await Promise.all(recvChunksInto(comm, sender, step, arr, from, end));
}

/**
 * Receives what each of `senders` sent with `sendChunks` and reduces it into elements
 * [from, end) of `arr`, straight from where the bytes lie; one promise a chunk, resolved
 * once it is reduced. The chunks are reduced as they come, each one's senders in the order
 * of `senders` (the same order on every run, so the same floating-point result).
 */
export function reduceChunks(comm: Comm, senders: readonly number[], step: string, arr: CollectiveArray, op: ReduceOp, from: number, end: number): Promise<void>[] {
  if (senders.length === 0) return [];
  return chunks(comm, arr, from, end, (c, start, stop) => reduceChunk(comm, senders, `${step}.${c}`, arr.subarray(start, stop) as CollectiveArray, op));
}

/** Like reduceChunks, one promise for the whole range. */
export async function recvRangeReduce(comm: Comm, senders: readonly number[], step: string, arr: CollectiveArray, op: ReduceOp, from: number, end: number): Promise<void> {
  await Promise.all(reduceChunks(comm, senders, step, arr, op, from, end));
}

async function reduceChunk(comm: Comm, senders: readonly number[], step: string, target: CollectiveArray, op: ReduceOp): Promise<void> {
  for (const r of senders) await comm.recvWith(r, step, (pieces) => reducePiecesInto(target, pieces, op));
}
