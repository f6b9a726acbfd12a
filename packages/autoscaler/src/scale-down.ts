/**
 * Which idle worker nodes to end: RUNNING instances whose node has held no lease and no bundle
 * for idleTimeoutS, longest idle first, never leaving a type below its minWorkers, never the
 * head (it is no instance), and never a node the standing request of `lux.requestResources()`
 * needs (its bundles are packed onto the nodes' whole resources, busy nodes first).
 */
import type { NodeActivity, NodeResources } from "@lux/protocol";
import type { ClusterConfig } from "./cluster-config.js";
import type { Instance } from "./instances.js";
import { plan, type Bin } from "./planner.js";

export interface IdleCandidate {
  instance: Instance;
  nodeId: string;
  idleForMs: number;
}

export function idleNodesToEnd(
  config: ClusterConfig,
  instances: readonly Instance[],
  view: readonly NodeResources[],
  activity: readonly NodeActivity[],
  request: readonly Record<string, number>[],
): IdleCandidate[] {
  const idleMs = config.idleTimeoutS * 1000;
  const byNode = new Map(activity.map((a) => [a.nodeId, a]));
  const idle: IdleCandidate[] = [];
  for (const instance of instances) {
    if (instance.state !== "RUNNING" || instance.nodeId === undefined) continue;
    const a = byNode.get(instance.nodeId);
    if (a === undefined || a.leases > 0 || a.bundles > 0 || a.idleForMs < idleMs) continue;
    idle.push({ instance, nodeId: instance.nodeId, idleForMs: a.idleForMs });
  }
  if (idle.length === 0) return [];
  idle.sort((a, b) => b.idleForMs - a.idleForMs);
  const needed = neededByRequest(view, request, new Set(idle.map((c) => c.nodeId)));
  const keep: Record<string, number> = {};
  for (const i of instances) {
    if (i.state === "TERMINATING") continue;
    keep[i.nodeType] = (keep[i.nodeType] ?? 0) + 1;
  }
  const out: IdleCandidate[] = [];
  for (const c of idle) {
    const type = c.instance.nodeType;
    const min = config.availableNodeTypes[type]?.minWorkers ?? 0;
    if (needed.has(c.nodeId) || (keep[type] ?? 0) <= min) continue;
    keep[type] = (keep[type] ?? 0) - 1;
    out.push(c);
  }
  return out;
}

/** Idle nodes the standing request needs: its bundles packed onto every alive node's whole resources, idle nodes last. */
function neededByRequest(view: readonly NodeResources[], request: readonly Record<string, number>[], idle: ReadonlySet<string>): Set<string> {
  if (request.length === 0) return new Set();
  const alive = view.filter((n) => n.alive && n.draining !== true);
  const ordered = [...alive.filter((n) => !idle.has(n.nodeId)), ...alive.filter((n) => idle.has(n.nodeId))];
  const bins: Bin[] = ordered.map((n) => ({ id: n.nodeId, nodeType: undefined, labels: n.labels ?? {}, total: n.total, free: { ...n.total }, isNew: false }));
  const packed = plan({
    types: {},
    bins,
    demand: { items: request.map((resources) => ({ resources, labelSelector: undefined, kind: "request" })), gangs: [] },
    counts: {},
    workers: 0,
    maxWorkers: 0,
    maxLaunch: 0,
    blocked: new Set(),
  });
  const needed = new Set<string>();
  for (const b of packed.bins) {
    if (idle.has(b.id) && Object.entries(b.total).some(([k, v]) => (b.free[k] ?? 0) < v - 1e-9)) needed.add(b.id);
  }
  return needed;
}
