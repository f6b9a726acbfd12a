import type { ActorCreationSpec, NodeResources, ResourceSet } from "@lux/protocol";
import { NodeAffinityError, labelMatcher } from "@lux/common";
import type { ResourceViewManager } from "./resource-view.js";

/** Where actors go: the nodes of the control service's resource view, taken in turns among equals. */
export class ActorPlacement {
  private turn = 0;

  constructor(private readonly view: ResourceViewManager) {}

  /**
   * Where the actor goes: the least-loaded node that fits now (else that can ever host
   * it), honouring its scheduling strategy, among the nodes its label selector matches.
   * Fitting is judged on its placement resources.
   */
  pick(spec: ActorCreationSpec): { node: NodeResources } | { infeasible: true } | { error: Error } {
    const req = spec.placementResources ?? spec.resources;
    const strategy = spec.strategy ?? "DEFAULT";
    const matches = labelMatcher(spec.labelSelector);
    const alive = this.view.schedulable().filter((n) => matches(n.labels));
    if (typeof strategy === "object") {
      const target = alive.find((n) => n.nodeId === strategy.nodeId);
      if (!strategy.soft) {
        if (target !== undefined) return { node: target };
        // Alive, but its labels do not match: the actor waits (as for resources no node has).
        if (this.view.get(strategy.nodeId)?.alive === true) return { infeasible: true };
        const known = this.view.get(strategy.nodeId) !== undefined;
        return {
          error: new NodeAffinityError({
            nodeId: strategy.nodeId,
            what: `actor ${spec.className}`,
            reason: known ? "that node is dead" : "the cluster has no node with this id",
          }),
        };
      }
      if (target !== undefined && fits(req, target.total)) return { node: target };
    }
    const feasible = alive.filter((n) => fits(req, n.total));
    if (feasible.length === 0) return { infeasible: true };
    // A node whose memory is above its threshold takes no leases: it has no room now.
    const now = feasible.filter((n) => n.memoryPressure !== true && fits(req, n.available));
    const pool = (now.length > 0 ? now : feasible).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const offset = this.turn++ % pool.length;
    const rotated = [...pool.slice(offset), ...pool.slice(0, offset)];
    // Least loaded on the requested resources, then on CPU (actors often request none).
    const score = (n: NodeResources): number => load(req, n) * 2 + load({ CPU: 1 }, n);
    let best = rotated[0] as NodeResources;
    for (const n of rotated) if (score(n) < score(best)) best = n;
    return { node: best };
  }
}

function fits(req: ResourceSet, set: ResourceSet): boolean {
  return Object.entries(req).every(([k, q]) => q <= 0 || (set[k] ?? 0) + 1e-9 >= q);
}

/** The node's busiest share among the requested resources, 0..1. */
function load(req: ResourceSet, n: NodeResources): number {
  let u = 0;
  for (const [k, q] of Object.entries(req)) {
    const total = n.total[k] ?? 0;
    if (q > 0 && total > 0) u = Math.max(u, (total - (n.available[k] ?? 0)) / total);
  }
  return u;
}
