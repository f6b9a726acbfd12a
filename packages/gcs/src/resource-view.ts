import type { NodeInfo, NodeResources, ResourceSet } from "@lux/protocol";
import { lessReserved } from "@lux/common";
import type { NodeManager } from "./node-manager.js";

/**
 * The cluster resource view: what each node has in total and free, as its raylet last
 * reported (minus what the control service placed there since). Every report is pushed to
 * every alive raylet; a new raylet gets the whole view.
 */
export class ResourceViewManager {
  /** As each node last reported. */
  private readonly entries = new Map<string, NodeResources>();
  /** Placed on each node since its last report (a report replaces them all). */
  private readonly reserved = new Map<string, Set<{ resources: ResourceSet }>>();

  constructor(private readonly nodes: NodeManager) {
    nodes.onNodeAdded((info) => this.added(info));
    nodes.onNodeDeath((nodeId) => {
      const e = this.entries.get(nodeId);
      if (e === undefined) return;
      e.alive = false;
      this.broadcast([e], undefined);
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
    this.broadcast([e], nodeId);
  }

  /** Every node known, alive or dead. */
  list(): NodeResources[] {
    return [...this.entries.values()].map((e) => this.current(e));
  }

  alive(): NodeResources[] {
    return this.list().filter((e) => e.alive);
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
    this.nodes.connection(info.nodeId)?.notify("updateClusterView", { nodes: this.alive(), full: true });
    this.broadcast([e], info.nodeId);
  }

  private broadcast(nodes: NodeResources[], except: string | undefined): void {
    for (const n of this.nodes.alive()) {
      if (n.info.nodeId === except || n.connection.state === "closed") continue;
      n.connection.notify("updateClusterView", { nodes, full: false });
    }
  }
}
