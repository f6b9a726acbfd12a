import type { NodeInfo, RayletService, ResourceSet, ResourceView, RpcConnection } from "@lux/protocol";
import { systemClock, type Clock, type TimerHandle } from "@lux/protocol";
import { LuxError, createLogger } from "@lux/common";
import type { GcsStorage } from "./storage.js";
import { StoredTable } from "./table.js";

const log = createLogger("gcs");

export type RayletConnection = RpcConnection<RayletService>;

interface NodeEntry {
  info: NodeInfo;
  /** Undefined for a node restored from storage whose raylet has not reconnected yet. */
  connection: RayletConnection | undefined;
}

/** Node membership. A raylet whose connection drops is declared dead and listeners hear it. */
export class NodeManager {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly deathListeners: ((nodeId: string, reason: string) => void)[] = [];
  private readonly addListeners: ((info: NodeInfo) => void)[] = [];
  private table: StoredTable<NodeInfo> | undefined;
  /** Restored nodes whose raylet has not reconnected yet: declared dead when the window ends. */
  private readonly awaiting = new Map<string, TimerHandle>();
  private stopping = false;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Writes the node table through to `storage` from now on. */
  persistTo(storage: GcsStorage): void {
    this.table = new StoredTable(storage, "nodes");
  }

  /**
   * A raylet registers its node, or registers it again with the same id after it lost the
   * control service. A node declared dead cannot come back (its work was moved elsewhere).
   */
  register(registration: Omit<NodeInfo, "alive" | "startedAtMs" | "labels"> & { labels?: NodeInfo["labels"] | undefined }, connection: RayletConnection): Promise<void> {
    const info = { ...registration, labels: registration.labels ?? {} };
    const known = this.nodes.get(info.nodeId);
    if (known !== undefined && !known.info.alive) {
      throw new LuxError(`node ${info.nodeId} was declared dead and cannot rejoin the cluster; start a new raylet`);
    }
    const timer = this.awaiting.get(info.nodeId);
    timer?.cancel();
    this.awaiting.delete(info.nodeId);
    const startedAtMs = known?.info.startedAtMs ?? Date.now();
    const entry: NodeEntry = { info: { ...info, alive: true, startedAtMs }, connection };
    this.nodes.set(info.nodeId, entry);
    if (known === undefined) log.info(`node ${info.nodeId.slice(0, 8)} joined at ${info.address}`, { resources: JSON.stringify(info.resources) });
    else log.info(`node ${info.nodeId.slice(0, 8)} reconnected from ${info.address}`);
    connection.onClose(() => {
      if (this.nodes.get(info.nodeId) === entry) this.markDead(info.nodeId, "its raylet disconnected");
    });
    for (const l of this.addListeners) l({ ...entry.info });
    return this.table?.put(info.nodeId, entry.info) ?? Promise.resolve();
  }

  /** Loads the nodes of a previous run; alive ones are declared dead unless they reconnect within `windowMs`. */
  async restore(windowMs: number): Promise<number> {
    const stored = (await this.table?.loadAll()) ?? new Map<string, NodeInfo>();
    for (const [nodeId, info] of stored) {
      this.nodes.set(nodeId, { info, connection: undefined });
      if (!info.alive) continue;
      const timer = this.clock.setTimeout(() => {
        this.awaiting.delete(nodeId);
        this.markDead(nodeId, `its raylet did not reconnect within ${windowMs} ms after the control service restarted`);
      }, windowMs);
      timer.unref();
      this.awaiting.set(nodeId, timer);
    }
    return stored.size;
  }

  /** The control service is shutting down: raylet connections closing now do not kill nodes. */
  stop(): void {
    this.stopping = true;
    for (const t of this.awaiting.values()) t.cancel();
    this.awaiting.clear();
  }

  /** Runs when a node registers. */
  onNodeAdded(listener: (info: NodeInfo) => void): void {
    this.addListeners.push(listener);
  }

  onNodeDeath(listener: (nodeId: string, reason: string) => void): void {
    this.deathListeners.push(listener);
  }

  markDead(nodeId: string, reason: string): void {
    const entry = this.nodes.get(nodeId);
    if (this.stopping || entry === undefined || !entry.info.alive) return;
    entry.info.alive = false;
    this.table?.write(nodeId, entry.info);
    log.warn(`node ${nodeId.slice(0, 8)} is dead: ${reason}`);
    for (const l of this.deathListeners) l(nodeId, reason);
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()].map((e) => ({ ...e.info }));
  }

  /** Alive nodes whose raylet is connected. */
  alive(): { info: NodeInfo; connection: RayletConnection }[] {
    return [...this.nodes.values()].filter((e): e is { info: NodeInfo; connection: RayletConnection } => e.info.alive && e.connection !== undefined);
  }

  connection(nodeId: string): RayletConnection | undefined {
    const e = this.nodes.get(nodeId);
    return e?.info.alive === true ? e.connection : undefined; // undefined too while a restored node reconnects
  }

  /** The cluster's total and free resources; a node that does not answer within `timeoutMs` (rpcBestEffortTimeoutMs) is left out. */
  async resources(timeoutMs: number): Promise<ResourceView> {
    const total: ResourceSet = {};
    const available: ResourceSet = {};
    const views = await Promise.all(
      this.alive().map((n) => n.connection.call("getResources", {}, timeoutMs).catch(() => undefined)),
    );
    for (const v of views) {
      if (v === undefined) continue;
      for (const [k, q] of Object.entries(v.total)) total[k] = (total[k] ?? 0) + q;
      for (const [k, q] of Object.entries(v.available)) available[k] = (available[k] ?? 0) + q;
    }
    return { total, available };
  }
}
