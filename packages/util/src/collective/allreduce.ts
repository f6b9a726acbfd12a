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
 * Everything moves in chunks, and a chunk moves on as soon as it is ready: around the ring,
 * a chunk received (and reduced) at one step is sent at the next while the rest of its block
 * is still coming; on a single node, an owner sends each chunk of its part to the others as
 * soon as it is reduced. So sending, receiving and reducing overlap.
 *
 * Reduce (to `dstRank`) runs steps 1 and 2's reduce-scatter, then each holder of a reduced
 * block sends it to the destination. Every element is reduced by one rank, in a fixed order,
 * so every rank ends with the same bits.
 */
import { recvChunksInto, recvRangeInto, recvRangeReduce, reduceChunks, sendChunks, sendRange, type GroupComm } from "./comm.js";
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
  if (comm.topology.nodes.length === 1) {
    await nodeAllreduce(comm, place, arr, op);
    return;
  }
  const parts = comm.topology.parts;
  await nodeReduceScatter(comm, place, arr, op);
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, parts, place.part);
    await ring(comm, place, arr, op, from, to, "allreduce");
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
    await ring(comm, place, work, op, from, to, "reduce-scatter");
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

/**
 * The whole allreduce when every rank runs on one node: each owner gets its part's chunks
 * from the others, reduces each chunk, and sends it on to them at once; meanwhile it gets
 * the other parts, chunk by chunk, from their owners.
 */
async function nodeAllreduce(comm: GroupComm, place: Place, arr: CollectiveArray, op: ReduceOp): Promise<void> {
  const parts = comm.topology.parts;
  const others = place.node.filter((r) => r !== comm.rank);
  const moves: Promise<void>[] = [];
  for (let part = 0; part < parts; part++) {
    const owner = place.node[part] as number;
    if (owner === comm.rank) continue;
    const [from, to] = partOf(0, arr.length, parts, part);
    moves.push(sendRange(comm, owner, "a", arr, from, to));
    // Chunk c of this part comes back reduced only once the owner had this rank's chunk c:
    // what it overwrites was sent already.
    moves.push(recvRangeInto(comm, owner, "g", arr, from, to));
  }
  if (place.part !== undefined) {
    const [from, to] = partOf(0, arr.length, parts, place.part);
    const reduced = reduceChunks(comm, others, "a", arr, op, from, to);
    moves.push(...reduced);
    for (const r of others) moves.push(...sendChunks(comm, r, "g", arr, from, to, reduced));
  }
  await Promise.all(moves);
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

/**
 * Step 2 on [from, to): the ring's steps, a reduce-scatter (steps `x0`…, after which ring
 * position p holds block p + 1 reduced over the ring) and, for an allreduce, an allgather
 * (steps `y0`…: each reduced block goes around). At each step a rank sends one block to the
 * next rank and receives another from the previous one, which it sends at the following
 * step: each chunk of it goes on as soon as it is here (and reduced).
 */
async function ring(comm: GroupComm, place: Place, arr: CollectiveArray, op: ReduceOp, from: number, to: number, what: "allreduce" | "reduce-scatter"): Promise<void> {
  const { ring: owners, position } = place;
  const size = owners.length;
  const next = owners[mod(position + 1, size)] as number;
  const prev = owners[mod(position - 1, size)] as number;
  const steps = what === "allreduce" ? 2 * (size - 1) : size - 1;
  const moves: Promise<void>[] = [];
  let arrived: readonly Promise<void>[] | undefined;
  for (let step = 0; step < steps; step++) {
    const reducing = step < size - 1;
    const name = reducing ? `x${step}` : `y${step - (size - 1)}`;
    const [sendFrom, sendTo] = partOf(from, to, size, mod(position - step, size));
    const [recvFrom, recvTo] = partOf(from, to, size, mod(position - step - 1, size));
    moves.push(...sendChunks(comm, next, name, arr, sendFrom, sendTo, arrived));
    arrived = reducing ? reduceChunks(comm, [prev], name, arr, op, recvFrom, recvTo) : recvChunksInto(comm, prev, name, arr, recvFrom, recvTo);
    moves.push(...arrived);
  }
  await Promise.all(moves);
}
