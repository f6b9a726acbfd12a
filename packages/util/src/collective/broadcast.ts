/**
 * Broadcast and allgather: arrays that travel whole, along a chain or around a ring that
 * visits the ranks node by node (so it crosses between nodes as few times as it can), in
 * chunks, each rank passing a chunk on as soon as it has it.
 */
import { recvRangeInto, sendRange, type GroupComm } from "./comm.js";
import { bytesOf, type CollectiveArray } from "./typed-arrays.js";
import { mod } from "./topology.js";

/** Copies `src`'s array into every rank's: a chain from `src` through its node, then the other nodes. */
export async function broadcast(comm: GroupComm, arr: CollectiveArray, src: number): Promise<void> {
  const t = comm.topology;
  const home = t.nodes[t.nodeOf(src)] as readonly number[];
  const chain = [src, ...home.filter((r) => r !== src), ...t.nodes.filter((ranks) => ranks !== home).flat()];
  const at = chain.indexOf(comm.rank);
  const prev = at > 0 ? chain[at - 1] : undefined;
  const next = at + 1 < chain.length ? chain[at + 1] : undefined;
  if (prev === undefined) {
    if (next !== undefined) await sendRange(comm, next, "b", arr, 0, arr.length);
    return;
  }
  // Each chunk is passed on as soon as it is here: the chain is a pipeline.
  const per = Math.max(1, Math.floor(comm.chunkBytes / arr.BYTES_PER_ELEMENT));
  const count = Math.max(1, Math.ceil(arr.length / per));
  const forwards: Promise<void>[] = [];
  try {
    for (let c = 0; c < count; c++) {
      const chunk = bytesOf(arr, c * per, Math.min(arr.length, (c + 1) * per));
      await comm.recvInto(prev, `b.${c}`, chunk);
      if (next === undefined) continue;
      const forward = comm.send(next, `b.${c}`, chunk);
      forward.catch(() => undefined); // handled by the await below, maybe after it rejects
      forwards.push(forward);
    }
  } finally {
    await Promise.all(forwards);
  }
}

/** Fills `outs[r]` with rank r's `arr`, on every rank: each array goes once around the ring. */
export async function allgather(comm: GroupComm, outs: readonly CollectiveArray[], arr: CollectiveArray): Promise<void> {
  const order = comm.topology.ringOrder;
  const size = order.length;
  const position = order.indexOf(comm.rank);
  const next = order[mod(position + 1, size)] as number;
  const prev = order[mod(position - 1, size)] as number;
  for (let step = 0; step < size - 1; step++) {
    // This rank's own array goes first, from `arr`: outs change only once the calls agreed.
    const sent = step === 0 ? arr : (outs[order[mod(position - step, size)] as number] as CollectiveArray);
    const received = outs[order[mod(position - step - 1, size)] as number] as CollectiveArray;
    await Promise.all([sendRange(comm, next, `g${step}`, sent, 0, sent.length), recvRangeInto(comm, prev, `g${step}`, received, 0, received.length)]);
  }
  const own = outs[comm.rank] as CollectiveArray;
  if (own !== arr) own.set(arr as never);
}
