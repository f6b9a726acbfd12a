/**
 * `lux status --listeners`: every address and port the cluster's processes listen on, per
 * node: the control service, the head's HTTP server, each raylet's RPC server (which also
 * serves its objects to other nodes), `/metrics` and, under TLS, its object transfer
 * channels' port, and each worker's and driver's RPC
 * server; and what libraries and applications registered with lux.util.listeners (e.g.
 * @lux/serve's HTTP proxy) from a worker or driver that is still alive. Workers' same-node
 * Unix sockets are not network listeners and are not listed.
 */
import type { ControlServiceClient } from "@lux/launcher";

export interface Listener {
  /** The node it runs on (undefined: the control service and the head's HTTP server, the cluster's own). */
  nodeId: string | undefined;
  what: string;
  /** HOST:PORT (a URL for the HTTP server). */
  address: string;
  pid?: number | undefined;
}

/** The cluster's listeners, the control service first, then per alive node. */
export async function clusterListeners(gcsAddress: string, client: ControlServiceClient): Promise<Listener[]> {
  const [nodes, dashboard, workers, registered] = await Promise.all([client.nodes(), client.dashboardUrl(), client.workers(), client.registeredListeners()]);
  const alive = nodes.filter((n) => n.alive);
  const out: Listener[] = [{ nodeId: undefined, what: "control service", address: gcsAddress }];
  if (dashboard !== undefined) out.push({ nodeId: undefined, what: "dashboard, jobs API, state and log routes (HTTP)", address: dashboard });
  for (const n of alive) {
    out.push({ nodeId: n.nodeId, what: "raylet: RPC and object transfer", address: n.address });
    if (n.metricsAddress !== undefined) out.push({ nodeId: n.nodeId, what: "raylet: Prometheus /metrics (HTTP)", address: n.metricsAddress });
    if (n.transferAddress !== undefined) out.push({ nodeId: n.nodeId, what: "raylet: object transfer channels (AES-128-GCM, keys from each raylet's TLS connection)", address: n.transferAddress });
    for (const w of workers) {
      if (w.nodeId !== n.nodeId || w.address === null) continue;
      const role = w.type === "DRIVER" ? "driver" : "worker";
      out.push({ nodeId: n.nodeId, what: `${role} ${w.workerId.slice(0, 8)}: RPC`, address: w.address, pid: w.pid ?? undefined });
    }
    // A registration outlives a process that died without removing it: listed only while its process runs.
    const live = new Set(workers.filter((w) => w.nodeId === n.nodeId && w.pid != null).map((w) => w.pid));
    for (const r of registered) {
      if (r.nodeId === n.nodeId && live.has(r.pid)) out.push({ nodeId: n.nodeId, what: r.what, address: r.address, pid: r.pid });
    }
  }
  return out;
}

/** The listeners as `lux status --listeners` prints them. */
export function listenersReport(gcsAddress: string, listeners: readonly Listener[], tls: boolean): string {
  const lines = [`Listeners of the cluster at ${gcsAddress} (${tls ? "TLS 1.3, certificates checked both ways" : "plaintext"}):`];
  const width = Math.max(...listeners.map((l) => l.address.length));
  let node: string | undefined | null = null;
  for (const l of listeners) {
    if (l.nodeId !== node) {
      node = l.nodeId;
      lines.push(node === undefined ? "  cluster" : `  node ${node}`);
    }
    lines.push(`    ${l.address.padEnd(width)}  ${l.what}${l.pid === undefined ? "" : ` (pid ${l.pid})`}`);
  }
  return `${lines.join("\n")}\n`;
}
