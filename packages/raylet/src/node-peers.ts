import type { GcsService, RayletService, RpcCaller, RpcConnection } from "@lux/protocol";
import { connectRpc } from "@lux/protocol";
import { LuxError, createLogger, rpcPeerOptions } from "@lux/common";

const log = createLogger("raylet");

export type RayletPeerConnection = RpcConnection<RayletService>;

/**
 * Connections from this raylet to other nodes' raylets, opened on first use. Addresses
 * come from the control service (getNodes) and are cached; a node it reports dead is
 * refused at once.
 */
export class NodePeers {
  private readonly addresses = new Map<string, string>();
  private readonly connections = new Map<string, Promise<RayletPeerConnection>>();
  private closed = false;

  constructor(
    private readonly gcs: () => RpcCaller<GcsService> | undefined,
    private readonly token: string,
  ) {}

  get(nodeId: string): Promise<RayletPeerConnection> {
    if (this.closed) return Promise.reject(new LuxError("the raylet is closing"));
    let p = this.connections.get(nodeId);
    if (p === undefined) {
      p = this.connect(nodeId);
      this.connections.set(nodeId, p);
      p.then(
        (c) =>
          c.onClose(() => {
            if (this.connections.get(nodeId) === p) this.connections.delete(nodeId);
          }),
        () => {
          if (this.connections.get(nodeId) === p) this.connections.delete(nodeId);
        },
      );
    }
    return p;
  }

  /** Drops what is known of a node (after a failure), so the next use asks again. */
  forget(nodeId: string): void {
    this.addresses.delete(nodeId);
    const p = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    p?.then((c) => c.close(true), () => undefined);
  }

  close(): void {
    this.closed = true;
    for (const p of this.connections.values()) p.then((c) => c.close(true), () => undefined);
    this.connections.clear();
  }

  private async connect(nodeId: string): Promise<RayletPeerConnection> {
    const address = await this.address(nodeId);
    return connectRpc<RayletService>(address, rpcPeerOptions(this.token, log));
  }

  private async address(nodeId: string): Promise<string> {
    const cached = this.addresses.get(nodeId);
    if (cached !== undefined) return cached;
    const gcs = this.gcs();
    if (gcs === undefined) throw new LuxError("not connected to the control service");
    const nodes = await gcs.call("getNodes", {}, 10_000);
    for (const n of nodes) if (n.alive) this.addresses.set(n.nodeId, n.address);
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new LuxError(`node ${nodeId.slice(0, 8)} is not part of the cluster`);
    if (!node.alive) throw new LuxError(`node ${nodeId.slice(0, 8)} is dead`);
    return node.address;
  }
}
