import type { RpcConnection } from "./connection.js";
import { ConnectionClosedError } from "./errors.js";
import { connectRpc, type ConnectOptions } from "./server.js";
import type { ServiceDef } from "./service.js";

export interface ConnectionPoolOptions<Local extends ServiceDef> extends ConnectOptions<Local> {
  /**
   * Where the peer a key names listens, e.g. a node id looked up at the control service.
   * Default: the key is the address.
   */
  address?: (key: string) => Promise<string>;
}

/**
 * Connections to peers of one kind (other workers, other raylets), one per peer, opened on
 * first use and shared by every caller. A connection that closes, or fails to open, is
 * forgotten: the next `get` opens a new one.
 */
export class ConnectionPool<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef> {
  private readonly entries = new Map<string, Promise<RpcConnection<Remote, Local>>>();
  private readonly connect: ConnectOptions<Local>;
  private readonly address: ((key: string) => Promise<string>) | undefined;
  private closed = false;

  constructor(options: ConnectionPoolOptions<Local>) {
    const { address, ...connect } = options;
    this.connect = connect;
    this.address = address;
  }

  /** How its connections are opened (for another pool of the same peers' options). */
  get connectOptions(): ConnectOptions<Local> {
    return this.connect;
  }

  /** The connection to the peer `key` names: the shared one, or a new one if there is none. */
  get(key: string): Promise<RpcConnection<Remote, Local>> {
    return this.entries.get(key) ?? this.open(key);
  }

  /** The connection to the peer if one is open or opening now (never opens one); undefined if none or it failed. */
  async ifOpen(key: string): Promise<RpcConnection<Remote, Local> | undefined> {
    const p = this.entries.get(key);
    return p === undefined ? undefined : p.catch(() => undefined);
  }

  /** Drops the connection to a peer (e.g. one declared dead), closing it: calls on it fail now instead of hanging. */
  forget(key: string): void {
    const p = this.entries.get(key);
    this.entries.delete(key);
    p?.then((c) => c.close(true), () => undefined);
  }

  /**
   * Closes every connection; `get` fails from now on. `destroy: false` lets what was sent
   * last (e.g. notifications) go out first.
   */
  close(destroy = true): void {
    this.closed = true;
    for (const p of this.entries.values()) p.then((c) => c.close(destroy), () => undefined);
    this.entries.clear();
  }

  private open(key: string): Promise<RpcConnection<Remote, Local>> {
    if (this.closed) return Promise.reject(new ConnectionClosedError({ peer: key, reason: "its connection pool was closed" }));
    const address = this.address;
    const p =
      address === undefined
        ? connectRpc<Remote, Local>(key, this.connect)
        : address(key).then((a) => connectRpc<Remote, Local>(a, this.connect));
    this.entries.set(key, p);
    const drop = (): void => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    };
    p.then((c) => c.onClose(drop), drop);
    return p;
  }
}
