/**
 * What to launch this round: nodes that bring each type up to its minWorkers, then nodes for
 * pending demand (packed onto the free capacity of the alive nodes and of the instances
 * launching), then nodes for the standing request of `lux.requestResources()` (packed onto
 * every node's whole resources, those just planned included).
 */
import type { DemandEntry, NodeResources } from "@lux/protocol";
import { NODE_TYPE_LABEL } from "@lux/common";
import type { ClusterConfig } from "./cluster-config.js";
import { expandDemand, type DemandItem } from "./demand.js";
import type { Instance } from "./instances.js";
import { plan, typeLabels, type Bin, type Plan } from "./planner.js";

export interface ScaleUp {
  launch: Map<string, number>;
  infeasible: DemandItem[];
  waiting: DemandItem[];
}

const PENDING = new Set(["QUEUED", "REQUESTED", "ALLOCATED"]);

/** Nodes launching at once: upscalingSpeed × max(5, running workers), at least 1. */
export function launchAllowance(config: ClusterConfig, running: number): number {
  return Math.max(1, Math.ceil(config.upscalingSpeed * Math.max(5, running)));
}

export function scaleUp(config: ClusterConfig, instances: readonly Instance[], view: readonly NodeResources[], demand: readonly DemandEntry[], request: readonly Record<string, number>[], blocked: ReadonlySet<string>): ScaleUp {
  const ending = new Set(instances.filter((i) => i.state === "TERMINATING").map((i) => i.nodeId));
  const bins: Bin[] = view
    .filter((n) => n.alive && n.draining !== true && !ending.has(n.nodeId))
    .map((n) => ({ id: n.nodeId, nodeType: n.labels?.[NODE_TYPE_LABEL], labels: n.labels ?? {}, total: n.total, free: { ...n.available }, isNew: false }));
  const counts: Record<string, number> = {};
  let pending = 0;
  let running = 0;
  for (const i of instances) {
    if (i.state === "TERMINATING") continue;
    counts[i.nodeType] = (counts[i.nodeType] ?? 0) + 1;
    if (i.state === "RUNNING") running++;
    const t = config.availableNodeTypes[i.nodeType];
    if (PENDING.has(i.state) && t !== undefined) {
      pending++;
      bins.push({ id: `pending-${i.id}`, nodeType: t.name, labels: typeLabels(t), total: t.resources, free: { ...t.resources }, isNew: false });
    }
  }
  const launch = new Map<string, number>();
  const add = (p: Plan): void => {
    for (const [type, n] of p.launch) {
      launch.set(type, (launch.get(type) ?? 0) + n);
      counts[type] = (counts[type] ?? 0) + n;
    }
  };
  const workers = (): number => Object.values(counts).reduce((a, b) => a + b, 0);
  // minWorkers: launched whatever the upscaling allowance, within the maxima.
  for (const t of Object.values(config.availableNodeTypes)) {
    const missing = Math.min(t.minWorkers - (counts[t.name] ?? 0), config.maxWorkers - workers());
    if (missing <= 0 || blocked.has(t.name)) continue;
    launch.set(t.name, (launch.get(t.name) ?? 0) + missing);
    counts[t.name] = (counts[t.name] ?? 0) + missing;
    for (let n = 0; n < missing; n++) bins.push({ id: `min-${t.name}-${n}`, nodeType: t.name, labels: typeLabels(t), total: t.resources, free: { ...t.resources }, isNew: true });
  }
  let allowance = launchAllowance(config, running) - pending;
  const base = { types: config.availableNodeTypes, maxWorkers: config.maxWorkers, blocked };
  const forDemand = plan({ ...base, bins, demand: expandDemand(demand), counts: { ...counts }, workers: workers(), maxLaunch: Math.max(0, allowance) });
  add(forDemand);
  allowance -= [...forDemand.launch.values()].reduce((a, b) => a + b, 0);
  const whole = forDemand.bins.map((b) => ({ ...b, free: { ...b.total } }));
  const requestItems: DemandItem[] = request.map((resources) => ({ resources, labelSelector: undefined, kind: "request" }));
  const forRequest = plan({ ...base, bins: whole, demand: { items: requestItems, gangs: [] }, counts: { ...counts }, workers: workers(), maxLaunch: Math.max(0, allowance) });
  add(forRequest);
  return { launch, infeasible: [...forDemand.infeasible, ...forRequest.infeasible], waiting: [...forDemand.waiting, ...forRequest.waiting] };
}
