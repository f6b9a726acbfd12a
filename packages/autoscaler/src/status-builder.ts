/** The autoscaler's status after a pass: counts per node type, demand as seen and as planned, failures. */
import type { DemandEntry } from "@lux/protocol";
import type { ClusterConfig } from "./cluster-config.js";
import { shapeKey, type DemandItem } from "./demand.js";
import type { InstanceTable } from "./instances.js";
import type { ScaleUp } from "./scale-up.js";
import type { AutoscalerStatus, DemandSummary, NodeTypeCounts } from "./status.js";

export interface StatusInput {
  config: ClusterConfig;
  table: InstanceTable;
  demand: readonly DemandEntry[];
  up: ScaleUp;
  request: readonly Record<string, number>[];
  startedAtMs: number;
  passes: number;
  error: string | undefined;
}

function summarize(items: readonly DemandItem[]): DemandSummary[] {
  const byShape = new Map<string, DemandSummary>();
  for (const item of items) {
    const key = shapeKey(item);
    const s = byShape.get(key);
    if (s !== undefined) s.count++;
    else byShape.set(key, { resources: item.resources, count: 1, kind: item.kind, ...(item.labelSelector !== undefined ? { labelSelector: item.labelSelector } : {}) });
  }
  return [...byShape.values()];
}

function typeCounts(input: StatusInput): Record<string, NodeTypeCounts> {
  const { config, table } = input;
  const counts: Record<string, NodeTypeCounts> = {};
  for (const t of Object.values(config.availableNodeTypes)) {
    const until = table.backoffUntil(t.name);
    counts[t.name] = { running: 0, pending: 0, failed: 0, terminating: 0, minWorkers: t.minWorkers, maxWorkers: t.maxWorkers, ...(until !== undefined ? { backoffUntilMs: until } : {}) };
  }
  for (const i of table.all()) {
    const c = (counts[i.nodeType] ??= { running: 0, pending: 0, failed: 0, terminating: 0, minWorkers: 0, maxWorkers: 0 });
    if (i.state === "RUNNING") c.running++;
    else if (i.state === "TERMINATING") c.terminating++;
    else c.pending++;
  }
  for (const f of table.recentFailures()) {
    const c = counts[f.nodeType];
    if (c !== undefined) c.failed++;
  }
  return counts;
}

export function buildStatus(input: StatusInput): AutoscalerStatus {
  const { config, table } = input;
  return {
    clusterName: config.clusterName,
    pid: process.pid,
    startedAtMs: input.startedAtMs,
    passes: input.passes,
    lastReconcileAtMs: Date.now(),
    reconcileIntervalMs: config.reconcileIntervalMs,
    idleTimeoutS: config.idleTimeoutS,
    nodeTypes: typeCounts(input),
    pendingDemand: input.demand.map((d) => ({
      resources: d.resources,
      count: d.count,
      kind: d.kind,
      ...(d.labelSelector !== undefined ? { labelSelector: d.labelSelector } : {}),
      ...(d.strategy !== undefined ? { strategy: d.strategy } : {}),
    })),
    infeasible: summarize(input.up.infeasible),
    waiting: summarize(input.up.waiting),
    requested: [...input.request],
    recentFailures: [...table.recentFailures()],
    instances: table.all().map((i) => ({ id: i.id, nodeType: i.nodeType, state: i.state, ...(i.nodeId !== undefined ? { nodeId: i.nodeId } : {}) })),
    ...(input.error !== undefined ? { lastError: input.error } : {}),
  };
}
