import type { NodeResources, ResourceSet, SchedulingStrategy } from "@lux/protocol";
import { labelMatcher } from "@lux/common";

/** Where a lease request should go. */
export type Placement =
  /** Grant it here now, or queue it here. */
  | { kind: "local" }
  /** Answer "spill back to this node". */
  | { kind: "spill"; node: NodeResources }
  /** No node in the view can ever run it: queue it here and warn. */
  | { kind: "infeasible" }
  /** Hard node affinity to a node that is not in the view (dead or unknown). */
  | { kind: "unavailable"; nodeId: string };

export interface PlacementInput {
  resources: ResourceSet;
  strategy: SchedulingStrategy;
  localId: string;
  /** Alive nodes, the local one included (with its current resources). */
  nodes: readonly NodeResources[];
  /** Rotates ties between equally loaded nodes (a counter the caller advances). */
  turn: number;
  /** SPREAD: the node the job's previous SPREAD request was placed on (this one goes to the next in turn). */
  spreadAfter?: string | undefined;
  /** Below this share of a requested resource in use, the local node is preferred (config localBusyThreshold). */
  localBusyThreshold: number;
  /** Only nodes whose labels match may run it: the others do not count, as if absent. */
  labelSelector?: Readonly<Record<string, string>> | undefined;
}

/** Could a node with these resources run the request (now, or ever when `set` is its total)? */
export function fitsIn(req: ResourceSet, set: ResourceSet): boolean {
  return Object.entries(req).every(([k, q]) => q <= 0 || (set[k] ?? 0) + 1e-9 >= q);
}

/** Could the node run the request now? Not while its memory is above its threshold. */
export function hasRoom(req: ResourceSet, node: NodeResources): boolean {
  return node.memoryPressure !== true && fitsIn(req, node.available);
}

/** The node's busiest share among the requested resources, 0..1. */
export function utilization(req: ResourceSet, node: NodeResources): number {
  let u = 0;
  for (const [k, q] of Object.entries(req)) {
    const total = node.total[k] ?? 0;
    if (q <= 0 || total <= 0) continue;
    u = Math.max(u, (total - (node.available[k] ?? 0)) / total);
  }
  return u;
}

/**
 * Ray's hybrid policy and the SPREAD and node-affinity strategies, as a pure function of
 * the cluster resource view, over the nodes whose labels match the request's selector.
 * SPREAD takes the nodes with room now in turn (round robin per job, by node id), not by
 * load: tasks that would all fit on one node still land on each.
 */
export function place(input: PlacementInput): Placement {
  const { resources: req, strategy, localId } = input;
  const matches = labelMatcher(input.labelSelector);
  const nodes = input.labelSelector === undefined ? input.nodes : input.nodes.filter((n) => matches(n.labels));
  if (typeof strategy === "object") {
    const target = input.nodes.find((n) => n.nodeId === strategy.nodeId);
    if (!strategy.soft) {
      if (target === undefined) return { kind: "unavailable", nodeId: strategy.nodeId };
      // The node is there but its labels do not match: the request can never run.
      if (!matches(target.labels)) return { kind: "infeasible" };
      return target.nodeId === localId ? { kind: "local" } : { kind: "spill", node: target };
    }
    if (target !== undefined && matches(target.labels) && fitsIn(req, target.total)) {
      return target.nodeId === localId ? { kind: "local" } : { kind: "spill", node: target };
    }
  }
  const feasible = nodes.filter((n) => fitsIn(req, n.total));
  if (feasible.length === 0) return { kind: "infeasible" };
  const local = feasible.find((n) => n.nodeId === localId);
  const now = feasible.filter((n) => hasRoom(req, n));
  const to = (n: NodeResources): Placement => (n.nodeId === localId ? { kind: "local" } : { kind: "spill", node: n });
  if (strategy === "SPREAD") {
    if (now.length > 0) return to(nextInTurn(now, input.spreadAfter));
    // Nowhere has room now: queue here if it can run here (it spills as soon as a node has room), else on the next node that can.
    return local !== undefined ? { kind: "local" } : to(nextInTurn(feasible, input.spreadAfter));
  }
  if (local !== undefined && hasRoom(req, local) && utilization(req, local) < input.localBusyThreshold) {
    return { kind: "local" };
  }
  if (now.length > 0) return to(leastLoaded(req, now, input.turn, localId));
  if (local !== undefined) return { kind: "local" };
  return to(leastLoaded(req, feasible, input.turn, undefined));
}

/**
 * SPREAD's round robin, whatever the nodes' load: the first node by id after `after` (the
 * node the job's previous SPREAD request went to), wrapping around. Nodes that joined or
 * left since take or lose their turn naturally.
 */
function nextInTurn(nodes: readonly NodeResources[], after: string | undefined): NodeResources {
  let first: NodeResources | undefined;
  let next: NodeResources | undefined;
  for (const n of nodes) {
    if (first === undefined || n.nodeId < first.nodeId) first = n;
    if (after !== undefined && n.nodeId > after && (next === undefined || n.nodeId < next.nodeId)) next = n;
  }
  return (next ?? first) as NodeResources;
}

/** The least-loaded node; ties go to `prefer`, else rotate with `turn`. */
function leastLoaded(req: ResourceSet, nodes: readonly NodeResources[], turn: number, prefer: string | undefined): NodeResources {
  const sorted = [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  const offset = turn % sorted.length;
  const rotated = [...sorted.slice(offset), ...sorted.slice(0, offset)];
  let best = rotated[0] as NodeResources;
  let bestScore = Infinity;
  for (const n of rotated) {
    const score = utilization(req, n);
    if (score < bestScore || (score === bestScore && n.nodeId === prefer)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}
