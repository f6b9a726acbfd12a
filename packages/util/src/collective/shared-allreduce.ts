/**
 * Allreduce in place among ranks of one node that all passed shared arrays (sharedArray):
 * each rank maps the others' arrays, and rank i, owner of part i (the same parts as the
 * message path's), reduces part i of every array and writes the result into part i of every
 * array. No byte goes through a message: each rank reads the n arrays' part i once and writes
 * it n times, in pieces small enough to stay in the CPU cache between the reduction (into its
 * own array) and the copies (to the others').
 *
 * Before: every rank's call (the agreement) says its array is ready. After: each rank tells
 * every other one once its writes are done, and returns once all have, so an array is never
 * changed by a peer after its allreduce resolved. The reduction order is the message path's
 * (the owner's own elements, then the others' in rank order), so the bits are the same.
 */
import type { GroupComm } from "./comm.js";
import { partOf } from "./topology.js";
import { reduceInto, type CollectiveArray, type ReduceOp } from "./typed-arrays.js";

/** Bytes of one piece: reduced into the own array, then copied from the cache to the others. */
export const PIECE_BYTES = 128 * 1024;
/** The event loop gets a turn after this many bytes of a part (a large array would block it for long). */
const YIELD_BYTES = 16 * 1024 * 1024;

const DONE = new Uint8Array([1]);

/**
 * `arrays[r]`: rank r's array (this rank's own, the others' as mapped here), all of one type
 * and length. `cancelled()` turns true once the operation failed: it stops at its next turn.
 */
export async function sharedAllreduce(comm: GroupComm, arrays: readonly CollectiveArray[], op: ReduceOp, cancelled: () => boolean): Promise<void> {
  const node = comm.topology.nodes[0] as readonly number[];
  const own = arrays[comm.rank] as CollectiveArray;
  const others = node.filter((r) => r !== comm.rank).map((r) => arrays[r] as CollectiveArray);
  const local = comm.topology.localIndexOf(comm.rank);
  const [from, to] = partOf(0, own.length, comm.topology.parts, local);
  const per = Math.max(1, Math.floor(PIECE_BYTES / own.BYTES_PER_ELEMENT));
  const perTurn = Math.max(per, Math.floor(YIELD_BYTES / own.BYTES_PER_ELEMENT));
  for (let turn = from; turn < to; turn += perTurn) {
    if (turn > from) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (cancelled()) return; // the operation failed meanwhile: it rejects already
    }
    const end = Math.min(to, turn + perTurn);
    for (let start = turn; start < end; start += per) {
      const stop = Math.min(end, start + per);
      const piece = own.subarray(start, stop) as CollectiveArray;
      for (const other of others) reduceInto(piece, other.subarray(start, stop) as CollectiveArray, op);
      for (const other of others) other.set(piece as never, start);
    }
  }
  const done: Promise<unknown>[] = [];
  for (const r of node) {
    if (r === comm.rank) continue;
    done.push(comm.send(r, "d", DONE), comm.recv(r, "d"));
  }
  await Promise.all(done);
}
