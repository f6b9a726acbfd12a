import type { CoreWorkerService, Handlers, RpcConnection, ServiceDef } from "@lux/protocol";
import { connectRpc } from "@lux/protocol";
import { createLogger, rpcPeerOptions } from "@lux/common";

const log = createLogger("core");

export type PeerConnection = RpcConnection<CoreWorkerService, CoreWorkerService>;

/** One connection per peer core worker, opened on first use and shared by every caller. */
export class PeerPool {
  private readonly peers = new Map<string, Promise<PeerConnection>>();

  constructor(
    private readonly token: string,
    private readonly handlers: Handlers<CoreWorkerService, RpcConnection<ServiceDef, CoreWorkerService>>,
    private readonly weak: boolean,
  ) {}

  get(address: string): Promise<PeerConnection> {
    let p = this.peers.get(address);
    if (p === undefined) {
      p = connectRpc<CoreWorkerService, CoreWorkerService>(address, {
        ...rpcPeerOptions(this.token, log),
        handlers: this.handlers,
        weak: this.weak,
      });
      this.peers.set(address, p);
      p.then(
        (c) => c.onClose(() => {
          if (this.peers.get(address) === p) this.peers.delete(address);
        }),
        () => {
          if (this.peers.get(address) === p) this.peers.delete(address);
        },
      );
    }
    return p;
  }

  /** The open connection to a peer, if one exists right now (no connect). */
  async ifOpen(address: string): Promise<PeerConnection | undefined> {
    const p = this.peers.get(address);
    return p === undefined ? undefined : p.catch(() => undefined);
  }

  close(): void {
    for (const p of this.peers.values()) p.then((c) => c.close(true), () => undefined);
    this.peers.clear();
  }
}
