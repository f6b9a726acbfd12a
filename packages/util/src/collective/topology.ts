/**
 * Where a group's ranks run, as the algorithms use it: ranks grouped by node (those of one
 * node exchange through shared memory, the others over sockets), the order rings and chains
 * follow (node by node, so most neighbours share a node), and how arrays are cut in parts.
 */

export interface Topology {
  readonly worldSize: number;
  /** The ranks of each node, ascending; nodes ordered by their lowest rank. */
  readonly nodes: readonly (readonly number[])[];
  /** Every rank, node by node: the order of rings and chains. */
  readonly ringOrder: readonly number[];
  /**
   * Parts each node cuts an array in for a hierarchical allreduce: the fewest ranks any node
   * has. Part j is reduced on each node by the rank at local index j (its owner there).
   */
  readonly parts: number;
  /** The index in `nodes` of the node `rank` runs on. */
  nodeOf(rank: number): number;
  /** The position of `rank` among the ranks of its node. */
  localIndexOf(rank: number): number;
}

/** The topology of a group whose rank r runs on node `nodeIds[r]`. */
export function topologyOf(nodeIds: readonly string[]): Topology {
  const byNode = new Map<string, number[]>();
  nodeIds.forEach((id, rank) => {
    const ranks = byNode.get(id);
    if (ranks === undefined) byNode.set(id, [rank]);
    else ranks.push(rank);
  });
  // Map order is first appearance, i.e. by lowest rank; ranks were pushed ascending.
  const nodes = [...byNode.values()];
  const nodeIndex = new Array<number>(nodeIds.length);
  const localIndex = new Array<number>(nodeIds.length);
  nodes.forEach((ranks, n) =>
    ranks.forEach((rank, i) => {
      nodeIndex[rank] = n;
      localIndex[rank] = i;
    }),
  );
  return {
    worldSize: nodeIds.length,
    nodes,
    ringOrder: nodes.flat(),
    parts: Math.min(...nodes.map((ranks) => ranks.length)),
    nodeOf: (rank) => nodeIndex[rank] as number,
    localIndexOf: (rank) => localIndex[rank] as number,
  };
}

/** Bounds [start, end) of part `index` of `parts` near-equal parts of [from, to). */
export function partOf(from: number, to: number, parts: number, index: number): [number, number] {
  const length = to - from;
  const base = Math.floor(length / parts);
  const extra = length % parts;
  const start = from + index * base + Math.min(index, extra);
  return [start, start + base + (index < extra ? 1 : 0)];
}

/** `(a mod n)` in [0, n). */
export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
