import type { GcsService, RpcCaller } from "@lux/protocol";
import { LuxError } from "@lux/common";

/**
 * Where other nodes' raylets listen, asked of the control service (getNodes) and cached,
 * for the raylet's connections to its peers. A node it reports dead is refused at once.
 */
export class NodeAddresses {
  private readonly addresses = new Map<string, string>();

  constructor(private readonly gcs: () => RpcCaller<GcsService> | undefined) {}

  async of(nodeId: string): Promise<string> {
    const cached = this.addresses.get(nodeId);
    if (cached !== undefined) return cached;
    const gcs = this.gcs();
    if (gcs === undefined) throw new LuxError("not connected to the control service");
    const nodes = await gcs.call("getNodes", {});
    for (const n of nodes) if (n.alive) this.addresses.set(n.nodeId, n.address);
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new LuxError(`node ${nodeId.slice(0, 8)} is not part of the cluster`);
    if (!node.alive) throw new LuxError(`node ${nodeId.slice(0, 8)} is dead`);
    return node.address;
  }

  /** Drops what is known of a node (after a failure), so the next use asks again. */
  forget(nodeId: string): void {
    this.addresses.delete(nodeId);
  }
}
