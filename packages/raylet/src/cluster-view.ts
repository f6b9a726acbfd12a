import type { NodeResources, ResourceSet } from "@lux/protocol";

/**
 * This raylet's copy of the cluster resource view: other nodes as the control service
 * last pushed them (minus what this raylet spilled to them since), and the local node live.
 */
export class ClusterView {
  private readonly remote = new Map<string, NodeResources>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly localId: string,
    private readonly local: () => NodeResources,
  ) {}

  /** Nodes that changed; `full` replaces the whole view. Dead nodes leave it. */
  update(nodes: readonly NodeResources[], full: boolean): void {
    if (full) this.remote.clear();
    for (const n of nodes) {
      if (n.nodeId === this.localId) continue;
      if (n.alive) this.remote.set(n.nodeId, { ...n, total: { ...n.total }, available: { ...n.available } });
      else this.remote.delete(n.nodeId);
    }
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Alive nodes, the local one first. */
  nodes(): NodeResources[] {
    return [this.local(), ...this.remote.values()];
  }

  /** A lease was spilled to the node: count its resources as taken until the node reports again. */
  reserve(nodeId: string, req: ResourceSet): void {
    const n = this.remote.get(nodeId);
    if (n === undefined) return;
    for (const [k, q] of Object.entries(req)) {
      if (q > 0) n.available[k] = Math.max(0, (n.available[k] ?? 0) - q);
    }
  }
}
