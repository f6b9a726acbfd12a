/**
 * An in-memory network for unit tests: fakes listen at addresses, and code under test
 * dials them through `peerOptions.dial` (a ConnectionPool, connectRpc) or gets an open
 * connection from `connect`. Every byte goes through a memoryTransportPair, so nothing
 * opens a socket and no time passes but the clock's.
 */
import {
  ConnectFailedError,
  ConnectionPool,
  connectRpc,
  memoryTransportPair,
  systemClock,
  type Clock,
  type Dial,
  type ServedHandlers,
  type PeerOptions,
  type RpcConnection,
  type ServiceDef,
  type Transport,
} from "@lux/protocol";
import { wireErrorCodec } from "@lux/common";

/** What listens at an address of a FakeNetwork (a FakeRaylet, a FakeWorker, a FakeGcs). */
export interface FakeListener {
  /** False while it is down: dials to it fail with ConnectFailedError. */
  readonly reachable: boolean;
  /** Serves the server end of a new connection. */
  accept(transport: Transport): void;
}

export interface FakeNetworkOptions {
  /** Times handshakes and call deadlines on every connection (a FakeClock in unit tests). Default: the system clock. */
  clock?: Clock;
  /** The cluster token both ends present. */
  token?: string;
  /** Deadline of a call that names none, on the clock (config `rpcTimeoutMs`). Default: 30 s. */
  callTimeoutMs?: number;
}

const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Addresses to fakes, and connections to them. */
export class FakeNetwork {
  readonly clock: Clock;
  /**
   * What code under test needs to reach the fakes: the token, the error codec Lux processes
   * use (errors come back as their own classes), this network's `dial` and clock.
   */
  readonly peerOptions: PeerOptions;
  private readonly listeners = new Map<string, FakeListener>();
  private readonly opened = new Set<{ close(destroy?: boolean): void }>();
  private readonly counters = new Map<string, number>();

  constructor(options: FakeNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.peerOptions = {
      token: options.token ?? "fake-network-token",
      maxFrameBytes: MAX_FRAME_BYTES,
      errorCodec: wireErrorCodec,
      // Connecting takes no time in memory: only a test that stops delivering could hit this.
      connectTimeoutMs: 10_000,
      callTimeoutMs: options.callTimeoutMs ?? 30_000,
      dial: this.dial,
      clock: this.clock,
    };
  }

  /** Opens a transport to the fake listening at `address`; ConnectFailedError if none does or it is down. */
  readonly dial: Dial = (address) => {
    const listener = this.listeners.get(address);
    if (listener === undefined || !listener.reachable) {
      const reason = listener === undefined ? "nothing listens there (fake network)" : "it is down (fake network)";
      return Promise.reject(new ConnectFailedError({ address, reason }));
    }
    const [client, server] = memoryTransportPair();
    // Named by address, as a socket's peer is: errors then say which fake went away.
    listener.accept({ ...server, remoteLabel: `a client of ${address}` });
    return Promise.resolve({ ...client, remoteLabel: address });
  };

  /** `listener` answers at `address` from now on. */
  listen(address: string, listener: FakeListener): void {
    if (this.listeners.has(address)) throw new Error(`fake network: ${address} is taken`);
    this.listeners.set(address, listener);
  }

  /** A new address, e.g. "worker-3" for prefix "worker". */
  address(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${n}`;
  }

  /** An open connection to the fake at `address`; `handlers` answer the calls it makes back. */
  async connect<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef>(
    address: string,
    handlers?: ServedHandlers<Local>,
  ): Promise<RpcConnection<Remote, Local>> {
    const connection = await connectRpc<Remote, Local>(address, { ...this.peerOptions, ...(handlers ? { handlers } : {}) });
    this.opened.add(connection);
    return connection;
  }

  /** A ConnectionPool whose connections go over this network (closed with it). */
  pool<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef>(
    handlers?: ServedHandlers<Local>,
  ): ConnectionPool<Remote, Local> {
    const pool = new ConnectionPool<Remote, Local>({ ...this.peerOptions, ...(handlers ? { handlers } : {}) });
    this.opened.add(pool);
    return pool;
  }

  /** Closes every connection and pool opened with `connect` and `pool`. */
  close(): void {
    for (const c of this.opened) c.close(true);
    this.opened.clear();
  }
}
