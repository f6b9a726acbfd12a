/** `lux status`'s autoscaler part: per node type running/pending/failed, demand, failures, last reconcile. */
import type { AutoscalerStatus, DemandSummary } from "@lux/autoscaler";

function shape(d: DemandSummary): string {
  const selector = d.labelSelector === undefined ? "" : ` on nodes matching ${JSON.stringify(d.labelSelector)}`;
  const strategy = d.strategy === undefined ? "" : ` ${d.strategy}`;
  const kind = d.kind === "placementGroup" ? "placement group" : d.kind;
  return `${JSON.stringify(d.resources)}${selector}: ${d.count} ${kind}${d.count === 1 ? "" : "s"}${strategy}`;
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function autoscalerLines(status: AutoscalerStatus, now = Date.now()): string[] {
  const lines = [
    `Autoscaler (cluster ${status.clusterName}, pid ${status.pid}): pass ${status.passes}, last reconcile ${ago(status.lastReconcileAtMs, now)}, every ${status.reconcileIntervalMs} ms; idle nodes end after ${status.idleTimeoutS} s`,
  ];
  if (status.lastError !== undefined) lines.push(`  last reconcile failed: ${status.lastError}`);
  lines.push("  Node types (running / pending / failed):");
  for (const [name, c] of Object.entries(status.nodeTypes)) {
    const extra = [
      c.terminating > 0 ? `${c.terminating} terminating` : "",
      `min ${c.minWorkers}, max ${c.maxWorkers}`,
      c.backoffUntilMs !== undefined && c.backoffUntilMs > now ? `backing off for ${Math.ceil((c.backoffUntilMs - now) / 1000)} s` : "",
    ].filter((x) => x !== "");
    lines.push(`    ${name}: ${c.running} running, ${c.pending} pending, ${c.failed} failed  (${extra.join("; ")})`);
  }
  lines.push(status.infeasible.length === 0 ? "  Infeasible demand: none" : "  Infeasible demand (no node type can hold it; nothing is launched for it):");
  for (const d of status.infeasible) lines.push(`    ${shape(d)}`);
  if (status.waiting.length > 0) {
    lines.push("  Waiting for maxWorkers, upscalingSpeed or a backoff:");
    for (const d of status.waiting) lines.push(`    ${shape(d)}`);
  }
  if (status.requested.length > 0) lines.push(`  Requested (lux.requestResources): ${status.requested.map((b) => JSON.stringify(b)).join(", ")}`);
  lines.push(status.recentFailures.length === 0 ? "  Recent failures: none" : "  Recent failures:");
  for (const f of status.recentFailures.slice(-5)) lines.push(`    ${ago(f.atMs, now)}  ${f.nodeType}${f.instanceId === undefined ? "" : ` ${f.instanceId}`}: ${f.reason}`);
  return lines;
}
