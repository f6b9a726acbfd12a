/**
 * Simulated nodes for bench/gcs-scale.ts: one process speaking the real protocol to the
 * control service for `--nodes N` nodes. Each node opens a raylet's connection (registers,
 * answers health checks, reports resources, takes the cluster view the control service
 * pushes) and a subscriber's connection (hears node deaths, as a core worker does). Idle
 * nodes send nothing: a real raylet without leases reports only when its resources change.
 *
 *   LUX_TOKEN=… tsx bench/gcs-sim.ts --gcs HOST:PORT --nodes N --first I
 *
 * Commands on stdin, one JSON per line; answers on stdout, one JSON per line:
 *   {"cmd":"report","node":I,"probe":P,"sentAt":T}  node I reports resource "probe" = P
 *   {"cmd":"hang","node":I}                          node I stops answering health checks
 *   {"cmd":"collect"}   → {"probes":{P:[ms…]},"deaths":{nodeId:[heardAtMs…]}}: when each
 *                          node saw each probe in its view (ms after sentAt), and heard each death
 * On start it prints {"ready":true,"nodeIds":[…]} once every node registered and subscribed.
 */
import { randomBytes } from "node:crypto";
import * as readline from "node:readline";
import { rpcPeerOptions } from "@lux/common";
import { CoreWorkerService, RayletService, connectRpc, serve, type GcsService, type NodeResources, type RpcConnection } from "@lux/protocol";

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = process.argv[i + 1];
  if (i < 0 || v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const gcsAddress = arg("gcs");
const count = Number(arg("nodes"));
const first = Number(arg("first"));
const token = process.env["LUX_TOKEN"] ?? "";
const options = rpcPeerOptions(token);

interface SimNode {
  nodeId: string;
  raylet: RpcConnection<GcsService>;
  subscriber: RpcConnection<GcsService>;
  hung: boolean;
}

/** Probe value → per node, ms from its sentAt to when the node's view showed it. */
const probes = new Map<number, number[]>();
const probeSentAt = new Map<number, number>();
/** Dead node id → when each subscriber heard (epoch ms). */
const deaths = new Map<string, number[]>();
const RESOURCES = { CPU: 8, memory: 32 * 1024 ** 3 };

function seen(nodes: readonly NodeResources[]): void {
  const now = Date.now();
  for (const n of nodes) {
    const probe = n.available["probe"];
    if (probe === undefined) continue;
    const sentAt = probeSentAt.get(probe);
    if (sentAt === undefined) continue;
    const list = probes.get(probe) ?? [];
    list.push(now - sentAt);
    probes.set(probe, list);
  }
}

async function startNode(index: number): Promise<SimNode> {
  const nodeId = randomBytes(16).toString("hex");
  const node = { nodeId, hung: false } as SimNode;
  const rayletHandlers = serve(RayletService, {
    ping: () => (node.hung ? new Promise<never>(() => undefined) : { ok: true as const }),
    updateClusterView: (req: { nodes: NodeResources[] }) => {
      seen(req.nodes);
      return { ok: true as const };
    },
    getPendingDemand: () => [],
  } as never);
  node.raylet = await connectRpc<GcsService>(gcsAddress, { ...options, handlers: rayletHandlers as never });
  await node.raylet.call("registerNode", {
    nodeId,
    address: `127.0.0.1:${20000 + index}`,
    resources: RESOURCES,
    storeKind: "simulated",
    storeCapacity: 1024 ** 3,
    labels: { sim: String(index % 10) },
  });
  const subscriberHandlers = serve(CoreWorkerService, {
    nodeDied: (req: { nodeId: string }) => {
      const list = deaths.get(req.nodeId) ?? [];
      list.push(Date.now());
      deaths.set(req.nodeId, list);
      return { ok: true as const };
    },
  } as never);
  node.subscriber = await connectRpc<GcsService>(gcsAddress, { ...options, handlers: subscriberHandlers as never });
  await node.subscriber.call("subscribeNodeDeaths", {});
  return node;
}

const nodes: SimNode[] = [];
// A few at a time: a real cluster's nodes do not all start in the same millisecond either.
for (let i = 0; i < count; i += 25) {
  nodes.push(...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => startNode(first + i + j)))));
}
console.log(JSON.stringify({ ready: true, nodeIds: nodes.map((n) => n.nodeId) }));

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const msg = JSON.parse(line) as { cmd: string; node?: number; probe?: number; sentAt?: number };
  if (msg.cmd === "report") {
    const node = nodes[(msg.node ?? 0) - first] as SimNode;
    probeSentAt.set(msg.probe as number, msg.sentAt as number);
    node.raylet.notify("reportResources", { nodeId: node.nodeId, total: { ...RESOURCES, probe: 1e9 }, available: { ...RESOURCES, probe: msg.probe as number } });
  } else if (msg.cmd === "probe") {
    probeSentAt.set(msg.probe as number, msg.sentAt as number);
  } else if (msg.cmd === "hang") {
    (nodes[(msg.node ?? 0) - first] as SimNode).hung = true;
  } else if (msg.cmd === "collect") {
    console.log(JSON.stringify({ probes: Object.fromEntries(probes), deaths: Object.fromEntries(deaths) }));
  }
});
lines.on("close", () => {
  for (const n of nodes) {
    n.raylet.close();
    n.subscriber.close();
  }
  process.exit(0);
});
