import type { CoreWorkerService, RayletService, RpcConnection } from "@lux/protocol";
import { connectRpc } from "@lux/protocol";
import { createLogger, rpcPeerOptions } from "@lux/common";

const log = createLogger("core");

export type RayletConnection = RpcConnection<RayletService, CoreWorkerService>;

/**
 * Connections to the raylets of other nodes, opened when a lease spills back to them and
 * shared by every later lease there. The local raylet's connection is reused as is.
 */
export class RayletPool {
  private readonly raylets = new Map<string, Promise<RayletConnection>>();

  constructor(
    private readonly token: string,
    private readonly weak: boolean,
    readonly local: RayletConnection,
    private readonly localNodeId: string,
  ) {}

  /** The raylet of node `nodeId`, listening at `address`. */
  get(nodeId: string, address: string): Promise<RayletConnection> {
    if (nodeId === this.localNodeId) return Promise.resolve(this.local);
    let p = this.raylets.get(address);
    if (p === undefined) {
      p = connectRpc<RayletService, CoreWorkerService>(address, {
        ...rpcPeerOptions(this.token, log),
        // A remote raylet only warns this process (e.g. about a request no node can run).
        handlers: {
          logWarning: (req) => {
            log.warn(req.message);
            return { ok: true };
          },
        },
        weak: this.weak,
      });
      this.raylets.set(address, p);
      const forget = (): void => {
        if (this.raylets.get(address) === p) this.raylets.delete(address);
      };
      p.then((c) => c.onClose(forget), forget);
    }
    return p;
  }

  close(): void {
    for (const p of this.raylets.values()) p.then((c) => c.close(), () => undefined);
    this.raylets.clear();
  }
}
