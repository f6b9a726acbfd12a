/**
 * A raylet's `/metrics` text: the node's resources, object store, workers, the RPC handling
 * times of its server, the machine's CPU and memory, and what the node's processes reported
 * (tasks and actors by state, lux.util.metrics). Everything is read when Prometheus scrapes,
 * from what the raylet keeps anyway: nothing is counted per task for it.
 */
import * as os from "node:os";
import type { LatencyHistogram } from "@lux/protocol";
import { systemMemory } from "./memory-usage.js";
import { PrometheusText, type Labels } from "./prometheus-text.js";
import type { ReportedMetrics } from "./reported-metrics.js";

export interface NodeMetricsParts {
  nodeId: string;
  resources(): { total: Record<string, number>; available: Record<string, number> };
  store(): { objects: number; usedBytes: number; spilledBytes: number; capacity: number };
  /** The node's worker processes' states, and how many drivers are connected. */
  workers(): { states: readonly string[]; drivers: number };
  /** Handling times of the raylet's RPC server, per method (in milliseconds). */
  latencies: ReadonlyMap<string, LatencyHistogram>;
  reported: ReportedMetrics;
}

export function nodeMetricsText(parts: NodeMetricsParts): string {
  const text = new PrometheusText();
  const node: Labels = [["node_id", parts.nodeId]];
  resourceFamilies(text, parts, node);
  workerFamilies(text, parts, node);
  machineFamilies(text, node);
  rpcFamily(text, parts, node);
  reportedFamilies(text, parts.reported, node);
  return text.toString();
}

function resourceFamilies(text: PrometheusText, parts: NodeMetricsParts, node: Labels): void {
  const { total, available } = parts.resources();
  const resources = Object.keys(total).sort();
  text.family(
    "lux_resources",
    "gauge",
    "The node's resources (memory in bytes): State USED or AVAILABLE; their sum is the node's total.",
    resources.flatMap((name) => {
      const free = available[name] ?? 0;
      return [
        { labels: [...node, ["Name", name], ["State", "USED"]] as Labels, value: (total[name] ?? 0) - free },
        { labels: [...node, ["Name", name], ["State", "AVAILABLE"]] as Labels, value: free },
      ];
    }),
  );
  const store = parts.store();
  text.family("lux_object_store_used_bytes", "gauge", "Bytes of the node's object store in use.", [{ labels: node, value: store.usedBytes }]);
  text.family("lux_object_store_capacity_bytes", "gauge", "Bytes of the node's object store.", [{ labels: node, value: store.capacity }]);
  text.family("lux_object_store_spilled_bytes", "gauge", "Bytes of the node's objects spilled to disk now.", [{ labels: node, value: store.spilledBytes }]);
  text.family("lux_object_store_objects", "gauge", "Objects in the node's object store (spilled ones included).", [{ labels: node, value: store.objects }]);
}

function workerFamilies(text: PrometheusText, parts: NodeMetricsParts, node: Labels): void {
  const { states, drivers } = parts.workers();
  const byState = new Map<string, number>();
  for (const s of states) byState.set(s, (byState.get(s) ?? 0) + 1);
  const samples = [...byState].map(([state, n]) => ({ labels: [...node, ["Type", "WORKER"], ["State", state.toUpperCase()]] as Labels, value: n }));
  samples.push({ labels: [...node, ["Type", "DRIVER"], ["State", "ALIVE"]], value: drivers });
  text.family("lux_workers", "gauge", "The node's worker processes by state (STARTING, IDLE, LEASED, SPENT, STOPPING), and its connected drivers.", samples);
}

function machineFamilies(text: PrometheusText, node: Labels): void {
  const cpus = os.cpus();
  const modes = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
  for (const c of cpus) for (const m of Object.keys(modes) as (keyof typeof modes)[]) modes[m] += c.times[m];
  text.family("lux_node_cpus", "gauge", "CPUs of the node's machine.", [{ labels: node, value: cpus.length }]);
  text.family(
    "lux_node_cpu_seconds_total",
    "counter",
    "CPU time of the node's machine since it booted, summed over its CPUs, by mode.",
    Object.entries(modes).map(([mode, ms]) => ({ labels: [...node, ["mode", mode === "sys" ? "system" : mode]] as Labels, value: ms / 1000 })),
  );
  text.family("lux_node_load1", "gauge", "The machine's load average over one minute.", [{ labels: node, value: os.loadavg()[0] ?? 0 }]);
  const memory = systemMemory();
  text.family("lux_node_memory_used_bytes", "gauge", "Memory in use on the node's machine (its cgroup's, when limited).", [{ labels: node, value: memory.usedBytes }]);
  text.family("lux_node_memory_total_bytes", "gauge", "Memory of the node's machine (its cgroup's limit, when set).", [{ labels: node, value: memory.capacityBytes }]);
  const own = process.cpuUsage();
  text.family("lux_raylet_cpu_seconds_total", "counter", "CPU time the node's raylet process used.", [{ labels: node, value: (own.user + own.system) / 1e6 }]);
  text.family("lux_raylet_resident_memory_bytes", "gauge", "Resident memory of the node's raylet process.", [{ labels: node, value: process.memoryUsage.rss() }]);
}

function rpcFamily(text: PrometheusText, parts: NodeMetricsParts, node: Labels): void {
  const first = parts.latencies.values().next();
  if (first.done === true) return;
  const boundaries = first.value.boundaries.map((ms) => ms / 1000);
  const samples = [...parts.latencies].filter(([, h]) => h.count > 0).sort(([a], [b]) => a.localeCompare(b)).map(([method, h]) => ({ labels: [...node, ["Method", method]] as Labels, counts: h.counts, sum: h.sum / 1000 }));
  text.histogram("lux_rpc_server_latency_seconds", "Time the raylet took to handle each RPC request, from its arrival to its reply, by method.", boundaries, samples);
}

function reportedFamilies(text: PrometheusText, reported: ReportedMetrics, node: Labels): void {
  for (const { definition: d, series } of reported.served()) {
    const help = d.description === "" ? `${d.name} (lux.util.metrics)` : d.description;
    const labels = (tags: readonly string[]): Labels => [...node, ...d.tagKeys.map((k, i) => [k, tags[i] ?? ""] as const)];
    if (d.kind === "histogram") {
      text.histogram(d.name, help, d.boundaries, series.map((s) => ({ labels: labels(s.tags), counts: s.counts ?? [], sum: s.value })));
    } else {
      const name = d.kind === "counter" && !d.name.endsWith("_total") ? `${d.name}_total` : d.name;
      text.family(name, d.kind, help, series.map((s) => ({ labels: labels(s.tags), value: s.value })));
    }
  }
}
