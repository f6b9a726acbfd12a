import type { NodeInfo, RayletService, ResourceSet, ResourceView } from "@lux/protocol";
import type { RpcConnection } from "@lux/protocol";
import { createLogger } from "@lux/common";

const log = createLogger("gcs");

export type RayletConnection = RpcConnection<RayletService>;

interface NodeEntry {
  info: NodeInfo;
  connection: RayletConnection;
}

/** Node membership. A raylet whose connection drops is declared dead and listeners hear it. */
export class NodeManager {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly deathListeners: ((nodeId: string) => void)[] = [];
  private readonly addListeners: ((info: NodeInfo) => void)[] = [];

  register(info: Omit<NodeInfo, "alive" | "startedAtMs">, connection: RayletConnection): void {
    const entry: NodeEntry = { info: { ...info, alive: true, startedAtMs: Date.now() }, connection };
    this.nodes.set(info.nodeId, entry);
    log.info(`node ${info.nodeId.slice(0, 8)} joined at ${info.address}`, { resources: JSON.stringify(info.resources) });
    connection.onClose(() => this.markDead(info.nodeId, "its raylet disconnected"));
    for (const l of this.addListeners) l({ ...entry.info });
  }

  /** Runs when a node registers. */
  onNodeAdded(listener: (info: NodeInfo) => void): void {
    this.addListeners.push(listener);
  }

  onNodeDeath(listener: (nodeId: string) => void): void {
    this.deathListeners.push(listener);
  }

  markDead(nodeId: string, reason: string): void {
    const entry = this.nodes.get(nodeId);
    if (entry === undefined || !entry.info.alive) return;
    entry.info.alive = false;
    log.warn(`node ${nodeId.slice(0, 8)} is dead: ${reason}`);
    for (const l of this.deathListeners) l(nodeId);
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()].map((e) => ({ ...e.info }));
  }

  alive(): { info: NodeInfo; connection: RayletConnection }[] {
    return [...this.nodes.values()].filter((e) => e.info.alive);
  }

  connection(nodeId: string): RayletConnection | undefined {
    const e = this.nodes.get(nodeId);
    return e?.info.alive === true ? e.connection : undefined;
  }

  async resources(): Promise<ResourceView> {
    const total: ResourceSet = {};
    const available: ResourceSet = {};
    const views = await Promise.all(
      this.alive().map((n) => n.connection.call("getResources", {}, 10_000).catch(() => undefined)),
    );
    for (const v of views) {
      if (v === undefined) continue;
      for (const [k, q] of Object.entries(v.total)) total[k] = (total[k] ?? 0) + q;
      for (const [k, q] of Object.entries(v.available)) available[k] = (available[k] ?? 0) + q;
    }
    return { total, available };
  }
}
