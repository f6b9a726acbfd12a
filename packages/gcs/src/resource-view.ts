import { systemClock, type Clock, type NodeInfo, type NodeResources, type ResourceSet, type TimerHandle } from "@lux/protocol";
import { lessReserved } from "@lux/common";
import type { NodeManager } from "./node-manager.js";

/**
 * The cluster resource view: what each node has in total and free, as its raylet last
 * reported (minus what the control service placed there since). Changes are pushed to every
 * alive raylet in batches (at most one per `batchMs`, each with every node that changed
 * meanwhile); a new raylet gets the whole view with the next batch.
 */
export class ResourceViewManager {
  /** As each node last reported. */
  private readonly entries = new Map<string, NodeResources>();
  /** Placed on each node since its last report (a report replaces them all). */
  private readonly reserved = new Map<string, Set<{ resources: ResourceSet }>>();
  /** Entries changed since the last push, and the nodes that joined since (they get the whole view). */
  private changed = new Map<string, NodeResources>();
  private joined = new Set<string>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly nodes: NodeManager,
    /** config resourceViewBatchMs (0: each change is pushed at once). */
    private readonly batchMs = 0,
    private readonly clock: Clock = systemClock,
  ) {
    nodes.onNodeAdded((info) => this.added(info));
    nodes.onNodeDeath((nodeId) => {
      const e = this.entries.get(nodeId);
      if (e === undefined) return;
      e.alive = false;
      this.push(e);
    });
  }

  /** A raylet's report of its resources (and whether its memory is above its threshold). */
  report(nodeId: string, total: ResourceSet, available: ResourceSet, memoryPressure = false): void {
    const e = this.entries.get(nodeId);
    if (e === undefined || !e.alive) return;
    e.total = total;
    e.available = available;
    if (memoryPressure) e.memoryPressure = true;
    else delete e.memoryPressure;
    this.reserved.delete(nodeId);
    this.push(e);
  }

  /** Every node known, alive or dead. */
  list(): NodeResources[] {
    return [...this.entries.values()].map((e) => this.current(e));
  }

  alive(): NodeResources[] {
    return this.list().filter((e) => e.alive);
  }

  /** Alive nodes that take new work: not being drained by the autoscaler. */
  schedulable(): NodeResources[] {
    return this.list().filter((e) => e.alive && e.draining !== true);
  }

  /** The autoscaler drains the node (or gave up): no new actor or bundle goes there, and raylets spill nothing to it. */
  setDraining(nodeId: string, on: boolean): void {
    const e = this.entries.get(nodeId);
    if (e === undefined || !e.alive || (e.draining === true) === on) return;
    if (on) e.draining = true;
    else delete e.draining;
    this.push(e);
  }

  get(nodeId: string): NodeResources | undefined {
    const e = this.entries.get(nodeId);
    return e === undefined ? undefined : this.current(e);
  }

  /**
   * The control service placed work on the node: count it as taken until the node reports.
   * Call the returned function when the node did not grant it (it answered with a spillback,
   * or failed): nothing changed there, so no report would ever undo the reservation.
   */
  reserve(nodeId: string, req: ResourceSet): () => void {
    if (!this.entries.has(nodeId)) return () => undefined;
    const r = { resources: req };
    const set = this.reserved.get(nodeId) ?? new Set();
    set.add(r);
    this.reserved.set(nodeId, set);
    return () => void this.reserved.get(nodeId)?.delete(r); // a report since has dropped it already
  }

  /** The node as reported, minus what was placed there since. */
  private current(e: NodeResources): NodeResources {
    const reserved = this.reserved.get(e.nodeId);
    return { ...e, available: reserved === undefined ? { ...e.available } : lessReserved(e.available, reserved) };
  }

  private added(info: NodeInfo): void {
    const e: NodeResources = {
      nodeId: info.nodeId,
      address: info.address,
      total: { ...info.resources },
      available: { ...info.resources },
      alive: true,
      // Restored from the storage of an older version: no labels.
      labels: { ...(info.labels ?? {}) },
    };
    this.entries.set(info.nodeId, e);
    this.reserved.delete(info.nodeId);
    this.joined.add(info.nodeId);
    this.push(e);
  }

  /** Stops pushing (the control service closes). */
  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private push(e: NodeResources): void {
    this.changed.set(e.nodeId, e);
    if (this.batchMs === 0) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), this.batchMs).unref();
  }

  /** One push to every alive raylet: the whole view to those that joined, the changes to the others. */
  private flush(): void {
    this.timer = undefined;
    // Entries as they are now (a later report replaced the values in place).
    const nodes = [...this.changed.values()];
    const joined = this.joined;
    this.changed = new Map();
    this.joined = new Set();
    const whole = joined.size > 0 ? this.alive() : undefined;
    for (const n of this.nodes.alive()) {
      if (n.connection.state === "closed") continue;
      // A raylet skips its own entry in a push: its live view of itself wins.
      if (whole !== undefined && joined.has(n.info.nodeId)) n.connection.notify("updateClusterView", { nodes: whole, full: true });
      else n.connection.notify("updateClusterView", { nodes, full: false });
    }
  }
}
