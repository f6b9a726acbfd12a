/**
 * Allreduce and reduce, hierarchical: ranks of one node share memory, nodes talk over sockets.
 *
 * The array is cut in `parts` parts (the fewest ranks a node has); on each node the rank at
 * local index j owns part j.
 *   1. On each node, every rank sends each owner that owner's part; owners reduce (a
 *      reduce-scatter within the node, through shared memory).
 *   2. The owners of part j, one per node, run a ring allreduce of it over sockets: the part
 *      cut in one block per node, a reduce-scatter (each block travels the ring once,
 *      reduced at each hop) then an allgather (each reduced block travels the ring once).
 *   3. On each node, every owner sends its reduced part to the other ranks there.
 * Between nodes each node thus sends about twice the array (split over `parts` sockets in
 * parallel), whatever the number of ranks; within a node the data moves through memory.
 * With one rank per node this is the plain ring allreduce; with one node, no socket carries data.
 *
 * Reduce (to `dstRank`) runs steps 1 and 2's reduce-scatter, then each holder of a reduced
 * block sends it to the destination. Every element is reduced by one rank, in a fixed order,
 * so every rank ends with the same bits.
 */
import { recvRangeInto, recvRangeReduce, sendRange, type GroupComm } from "./comm.js";
import { mod, partOf } from "./topology.js";
import { copyOf, type CollectiveArray, type ReduceOp } from "./typed-arrays.js";

/** Where this rank stands in the hierarchy. */
interface Place {
  /** The ranks of its node. */
  node: readonly number[];
  /** Its index among them. */
  local: number;
  /** The part it owns (its local index), if it owns one. */
  part: number | undefined;
  /** The owners of its part, one per node, and its position among them. */
  ring: readonly number[];
  position: number;
}

function placeOf(comm: GroupComm): Place {
  const t = comm.topology;
  const node = t.nodes[t.nodeOf(comm.rank)] as readonly number[];
  const local = t.localIndexOf(comm.rank);
  const part = local < t.parts ? local : undefined;
  return { node, local, part, ring: t.nodes.map((ranks) => ranks[local] as number), position: t.nodeOf(comm.rank) };
}

/** Sums (or another op) `arr` over every rank, in place on each. */
export async function allreduce(comm: GroupComm, arr: CollectiveArray, op: ReduceOp): Promise<void> {
  const place = placeOf(comm);
  const parts = comm.topology.parts;
  await nodeReduceScatter(comm, place, arr, op);
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, parts, place.part);
    await ringReduceScatter(comm, place, arr, op, from, to);
    await ringAllgather(comm, place, arr, from, to);
  }
  await nodeAllgather(comm, place, arr);
}

/** Reduces `arr` over every rank into `dst`'s array; the others' arrays stay as they were. */
export async function reduce(comm: GroupComm, arr: CollectiveArray, op: ReduceOp, dst: number): Promise<void> {
  const place = placeOf(comm);
  const t = comm.topology;
  const work = comm.rank === dst ? arr : copyOf(arr);
  await nodeReduceScatter(comm, place, work, op);
  const sends: Promise<void>[] = [];
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, t.parts, place.part);
    await ringReduceScatter(comm, place, work, op, from, to);
    // After the reduce-scatter, the owner at ring position p holds block p + 1 reduced.
    const [start, end] = partOf(from, to, place.ring.length, mod(place.position + 1, place.ring.length));
    if (comm.rank !== dst) sends.push(sendRange(comm, dst, "r", work, start, end));
  }
  if (comm.rank === dst) {
    for (let part = 0; part < t.parts; part++) {
      const [from, to] = partOf(0, arr.length, t.parts, part);
      t.nodes.forEach((ranks, position) => {
        const holder = ranks[part] as number;
        if (holder === dst) return;
        const [start, end] = partOf(from, to, t.nodes.length, mod(position + 1, t.nodes.length));
        sends.push(recvRangeInto(comm, holder, "r", arr, start, end));
      });
    }
  }
  await Promise.all(sends);
}

/** Step 1: each owner of the node gets its part from every other rank there, reduced into its own. */
async function nodeReduceScatter(comm: GroupComm, place: Place, arr: CollectiveArray, op: ReduceOp): Promise<void> {
  const parts = comm.topology.parts;
  const moves: Promise<void>[] = [];
  for (let part = 0; part < parts; part++) {
    const owner = place.node[part] as number;
    if (owner === comm.rank) continue;
    const [from, to] = partOf(0, arr.length, parts, part);
    moves.push(sendRange(comm, owner, "a", arr, from, to));
  }
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, parts, place.part);
    const others = place.node.filter((r) => r !== comm.rank);
    moves.push(recvRangeReduce(comm, others, "a", arr, op, from, to));
  }
  await Promise.all(moves);
}

/** Step 3: each owner of the node sends its reduced part to every other rank there. */
async function nodeAllgather(comm: GroupComm, place: Place, arr: CollectiveArray): Promise<void> {
  const parts = comm.topology.parts;
  const moves: Promise<void>[] = [];
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, parts, place.part);
    for (const r of place.node) if (r !== comm.rank) moves.push(sendRange(comm, r, "g", arr, from, to));
  }
  for (let part = 0; part < parts; part++) {
    const owner = place.node[part] as number;
    if (owner === comm.rank) continue;
    const [from, to] = partOf(0, arr.length, parts, part);
    moves.push(recvRangeInto(comm, owner, "g", arr, from, to));
  }
  await Promise.all(moves);
}

/** Step 2, first half: after it, ring position p holds block p + 1 of [from, to) reduced over the ring. */
async function ringReduceScatter(comm: GroupComm, place: Place, arr: CollectiveArray, op: ReduceOp, from: number, to: number): Promise<void> {
  const { ring, position } = place;
  const size = ring.length;
  const next = ring[mod(position + 1, size)] as number;
  const prev = ring[mod(position - 1, size)] as number;
  for (let step = 0; step < size - 1; step++) {
    const [sendFrom, sendTo] = partOf(from, to, size, mod(position - step, size));
    const [recvFrom, recvTo] = partOf(from, to, size, mod(position - step - 1, size));
    await Promise.all([
      sendRange(comm, next, `x${step}`, arr, sendFrom, sendTo),
      recvRangeReduce(comm, [prev], `x${step}`, arr, op, recvFrom, recvTo),
    ]);
  }
}

/** Step 2, second half: each reduced block goes around the ring. */
async function ringAllgather(comm: GroupComm, place: Place, arr: CollectiveArray, from: number, to: number): Promise<void> {
  const { ring, position } = place;
  const size = ring.length;
  const next = ring[mod(position + 1, size)] as number;
  const prev = ring[mod(position - 1, size)] as number;
  for (let step = 0; step < size - 1; step++) {
    const [sendFrom, sendTo] = partOf(from, to, size, mod(position + 1 - step, size));
    const [recvFrom, recvTo] = partOf(from, to, size, mod(position - step, size));
    await Promise.all([sendRange(comm, next, `y${step}`, arr, sendFrom, sendTo), recvRangeInto(comm, prev, `y${step}`, arr, recvFrom, recvTo)]);
  }
}
