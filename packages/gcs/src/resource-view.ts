import type { NodeInfo, NodeResources, ResourceSet } from "@lux/protocol";
import type { NodeManager } from "./node-manager.js";

/**
 * The cluster resource view: what each node has in total and free, as its raylet last
 * reported. Every change is pushed to every alive raylet; a new raylet gets the whole view.
 */
export class ResourceViewManager {
  private readonly entries = new Map<string, NodeResources>();

  constructor(private readonly nodes: NodeManager) {
    nodes.onNodeAdded((info) => this.added(info));
    nodes.onNodeDeath((nodeId) => {
      const e = this.entries.get(nodeId);
      if (e === undefined) return;
      e.alive = false;
      this.broadcast([e], undefined);
    });
  }

  /** A raylet's report of its resources. */
  report(nodeId: string, total: ResourceSet, available: ResourceSet): void {
    const e = this.entries.get(nodeId);
    if (e === undefined || !e.alive) return;
    e.total = total;
    e.available = available;
    this.broadcast([e], nodeId);
  }

  /** Every node known, alive or dead. */
  list(): NodeResources[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  alive(): NodeResources[] {
    return this.list().filter((e) => e.alive);
  }

  get(nodeId: string): NodeResources | undefined {
    const e = this.entries.get(nodeId);
    return e === undefined ? undefined : { ...e };
  }

  /** The control service placed work on the node: count it as taken until the node reports. */
  reserve(nodeId: string, req: ResourceSet): void {
    const e = this.entries.get(nodeId);
    if (e === undefined) return;
    const available = { ...e.available };
    for (const [k, q] of Object.entries(req)) if (q > 0) available[k] = Math.max(0, (available[k] ?? 0) - q);
    e.available = available;
  }

  private added(info: NodeInfo): void {
    const e: NodeResources = {
      nodeId: info.nodeId,
      address: info.address,
      total: { ...info.resources },
      available: { ...info.resources },
      alive: true,
    };
    this.entries.set(info.nodeId, e);
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
