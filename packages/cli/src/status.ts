/** `lux status`: the nodes of a cluster and its resources; fails when no cluster answers. */
import type { AutoscalerStatus } from "@lux/autoscaler";
import { tlsFilesFromConfig } from "@lux/common";
import { connectControlService } from "@lux/launcher";
import { autoscalerLines } from "./autoscaler-status.js";
import { CliError } from "./errors.js";
import { findCluster } from "./find-cluster.js";
import { clusterListeners, listenersReport } from "./listeners.js";
import { formatBytes } from "./units.js";

export async function status(opts: { address?: string; listeners?: boolean }): Promise<void> {
  const { address, client } = await findCluster(opts.address, connectControlService);
  try {
    if (opts.listeners === true) {
      // This process reached the cluster over TLS exactly when it has TLS files: the cluster refuses the other kind.
      process.stdout.write(listenersReport(address, await clusterListeners(address, client), tlsFilesFromConfig() !== undefined));
      return;
    }
    const [nodes, view, demand, dashboard, autoscaler] = await Promise.all([client.nodes(), client.resources(), client.demand(), client.dashboardUrl(), client.autoscalerStatus()]);
    const alive = nodes.filter((n) => n.alive);
    const lines = [`Cluster at ${address}`, `Dashboard: ${dashboard ?? "none"}`, `Nodes: ${alive.length} alive, ${nodes.length - alive.length} dead`];
    for (const n of nodes) {
      const res = Object.entries(n.resources)
        .filter(([k]) => k !== "memory")
        .map(([k, v]) => `${k} ${formatAmount(v)}`)
        .join(", ");
      // The built-in node-id label repeats the id at the start of the line.
      const labels = Object.entries(n.labels ?? {}).filter(([k]) => k !== "lux.io/node-id");
      lines.push(
        `  ${n.nodeId}  ${n.address}  ${n.alive ? "alive" : "dead"}  object store: ${n.storeKind} ${formatBytes(n.storeCapacity)}  ${res}` +
          (n.metricsAddress === undefined ? "" : `  metrics: ${n.metricsAddress}`) +
          (labels.length === 0 ? "" : `  labels: ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`),
      );
    }
    lines.push("Resources (used / total):");
    for (const [name, total] of Object.entries(view.total).sort(([a], [b]) => a.localeCompare(b))) {
      const used = total - (view.available[name] ?? 0);
      const fmt = name === "memory" ? formatBytes : formatAmount;
      lines.push(`  ${name}: ${fmt(used)} / ${fmt(total)}`);
    }
    lines.push(demand.length === 0 ? "Pending demand: none" : "Pending demand:");
    for (const d of demand) {
      const plural = d.count === 1 ? "" : "s";
      const selector = d.labelSelector === undefined ? "" : ` on nodes matching ${JSON.stringify(d.labelSelector)}`;
      const kind = d.kind === "placementGroup" ? `placement group${plural} ${d.strategy ?? ""} ${JSON.stringify(d.bundles ?? [])}` : `${d.kind}${plural}`;
      lines.push(`  ${JSON.stringify(d.resources)}${selector}: ${d.count} ${kind}${d.infeasible ? " (no node can ever provide this)" : ""}`);
    }
    if (autoscaler !== undefined) lines.push(...autoscalerLines(autoscaler as AutoscalerStatus));
    process.stdout.write(`${lines.join("\n")}\n`);
  } catch (e) {
    throw new CliError(`the cluster at ${address} did not answer: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

function formatAmount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
