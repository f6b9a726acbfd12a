import { systemClock, type Clock } from "./clock.js";
import { RpcConnection } from "./connection.js";
import type { ErrorCodec } from "./error-codec.js";
import { ProtocolError } from "./errors.js";
import type { ServedHandlers, ServiceDef } from "./service.js";
import { connectTransport, listenTransport, type DialOptions } from "./transport-net.js";
import type { Transport, TransportListener } from "./transport.js";

/** Opens a transport to the peer at `address`, failing after `timeoutMs` (ConnectFailedError). */
export type Dial = (address: string, timeoutMs: number, options?: DialOptions) => Promise<Transport>;

/** Listens at `address`, handing each inbound transport to `onTransport`. */
export type Listen = (address: string, onTransport: (transport: Transport) => void) => Promise<TransportListener>;

export interface PeerOptions {
  token: string;
  maxFrameBytes: number;
  errorCodec?: ErrorCodec;
  /** One deadline for opening a connection: connect and handshake together (config `rpcConnectTimeoutMs`). */
  connectTimeoutMs: number;
  /**
   * Server side: a peer that has not completed its handshake this long after it connected
   * is dropped (config `rpcHandshakeTimeoutMs`; default: connectTimeoutMs).
   */
  handshakeTimeoutMs?: number;
  /**
   * Server side: most connections of one listener still in their handshake; one more drops
   * the oldest of them (config `rpcMaxHandshakingConnections`; default: no cap).
   */
  maxHandshakingConnections?: number;
  /**
   * Server side: most connections of one listener, authenticated or not; one more drops the
   * oldest still in its handshake, or is refused when every one is authenticated (config
   * `rpcMaxConnections`; default: no cap).
   */
  maxConnections?: number;
  /** Most levels of objects and arrays a request may nest (config `rpcMaxMessageDepth`). */
  maxMessageDepth?: number;
  /** Deadline of a call that names none (config `rpcTimeoutMs`). */
  callTimeoutMs: number;
  onProtocolError?: (error: Error, peer: string) => void;
  /** Called for each request refused for its body (the connection stays). */
  onInvalidRequest?: (error: Error, peer: string) => void;
  /** How outbound connections reach their peer (default: TCP or a Unix socket, `connectTransport`; TLS: `tlsTransports`). Tests dial in memory. */
  dial?: Dial;
  /** Server side: how inbound connections arrive (default: TCP or a Unix socket, `listenTransport`; TLS: `tlsTransports`). Tests listen in memory. */
  listen?: Listen;
  /** Times handshakes and call deadlines (default: the system clock). */
  clock?: Clock;
}

export interface ServerOptions<Local extends ServiceDef> extends PeerOptions {
  address: string;
  handlers: ServedHandlers<Local>;
  onConnection?: (connection: RpcConnection<ServiceDef, Local>) => void;
}

/** What the server side of one connection needs: the server's options but its address. */
export type AcceptOptions<Local extends ServiceDef> = Omit<ServerOptions<Local>, "address" | "listen">;

/** Listens for authenticated RPC connections; malformed or unauthenticated peers are dropped. */
export class RpcServer<Local extends ServiceDef> {
  private readonly connections = new Set<RpcConnection<ServiceDef, Local>>();

  private weak = false;

  private constructor(private listener: TransportListener | undefined) {}

  /** Lets the process exit while serving: the listener and inbound connections stop holding it. */
  setWeak(): void {
    this.weak = true;
    this.listener?.unref();
    for (const c of this.connections) c.setWeak(true);
  }

  get address(): string {
    if (this.listener === undefined) throw new Error("server is closed");
    return this.listener.address;
  }

  static async listen<L extends ServiceDef>(options: ServerOptions<L>): Promise<RpcServer<L>> {
    const server = new RpcServer<L>(undefined);
    const cap = options.maxHandshakingConnections ?? Infinity;
    const max = options.maxConnections ?? Infinity;
    /** Connections still in their handshake, oldest first. */
    const handshaking = new Set<RpcConnection<ServiceDef, L>>();
    const accept: AcceptOptions<L> = {
      ...options,
      onConnection: (connection) => {
        handshaking.delete(connection);
        options.onConnection?.(connection);
      },
    };
    server.listener = await (options.listen ?? listenTransport)(options.address, (transport) => {
      if (server.connections.size >= max && !makeRoom(handshaking, transport, max, options)) return;
      if (handshaking.size >= cap) dropOldest(handshaking, `more than ${cap} connections are still in their handshake`, options);
      const connection = acceptRpc(transport, accept);
      server.connections.add(connection);
      handshaking.add(connection);
      if (server.weak) connection.setWeak(true);
      connection.onClose(() => {
        server.connections.delete(connection);
        handshaking.delete(connection);
      });
    });
    return server;
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const c of this.connections) c.close(true);
    await listener?.close();
  }
}

/**
 * Unauthenticated peers are bounded per listener: past the cap, the one that has waited
 * longest goes (a real client completes its handshake in one round trip, so it is rarely
 * the oldest, and a flood cannot lock the listener's door the way refusing new ones would).
 */
function dropOldest<L extends ServiceDef>(handshaking: Set<RpcConnection<ServiceDef, L>>, why: string, options: PeerOptions): void {
  const oldest = handshaking.values().next().value as RpcConnection<ServiceDef, L>;
  handshaking.delete(oldest);
  const reason = `${why}: dropped the one waiting longest in its handshake`;
  options.onProtocolError?.(new ProtocolError({ peer: oldest.peer, reason }), oldest.peer);
  oldest.close(true);
}

/**
 * A listener at its cap of connections takes a new one only in place of an unauthenticated
 * one (the oldest); with every connection authenticated, the new one is refused. Whether it
 * took it.
 */
function makeRoom<L extends ServiceDef>(handshaking: Set<RpcConnection<ServiceDef, L>>, transport: Transport, max: number, options: PeerOptions): boolean {
  const why = `the listener holds its most connections (${max})`;
  if (handshaking.size > 0) {
    dropOldest(handshaking, why, options);
    return true;
  }
  options.onProtocolError?.(new ProtocolError({ peer: transport.remoteLabel, reason: `${why}, all authenticated: refused a new one` }), transport.remoteLabel);
  transport.close(true);
  return false;
}

/**
 * Serves one inbound transport: checks the peer's hello (within `handshakeTimeoutMs`), then
 * `handlers` answer its calls (`onConnection` runs once it is accepted). What a server does
 * per connection; tests use it on one end of a `memoryTransportPair` to stand in for a peer.
 */
export function acceptRpc<L extends ServiceDef>(transport: Transport, options: AcceptOptions<L>): RpcConnection<ServiceDef, L> {
  const connection = new RpcConnection<ServiceDef, L>(transport, {
    maxFrameBytes: options.maxFrameBytes,
    callTimeoutMs: options.callTimeoutMs,
    handlers: options.handlers,
    ...(options.maxMessageDepth !== undefined ? { maxMessageDepth: options.maxMessageDepth } : {}),
    ...(options.errorCodec ? { errorCodec: options.errorCodec } : {}),
    ...(options.onProtocolError ? { onProtocolError: options.onProtocolError } : {}),
    ...(options.onInvalidRequest ? { onInvalidRequest: options.onInvalidRequest } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  connection.serverHandshake(options.token, options.handshakeTimeoutMs ?? options.connectTimeoutMs).then(
    () => options.onConnection?.(connection),
    () => undefined, // already reported through onProtocolError
  );
  return connection;
}

/** What `connectRpc` needs: the peer options, and this side's handlers for calls the peer makes. */
export type ConnectOptions<Local extends ServiceDef> = PeerOptions & {
  handlers?: ServedHandlers<Local>;
  /** See ConnectionOptions.upFrontFrameBytes. */
  upFrontFrameBytes?: number;
  /**
   * The connection receives large raw payloads (object chunks): its socket reads into one
   * reused buffer of the process, copied out at once (see transport-net.ts, BulkReads).
   */
  bulkReads?: boolean;
  weak?: boolean;
};

/** Opens an authenticated connection to a server: connect and handshake within `connectTimeoutMs`, together. */
export async function connectRpc<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef>(
  address: string,
  options: ConnectOptions<Local>,
): Promise<RpcConnection<Remote, Local>> {
  const clock = options.clock ?? systemClock;
  const budget = options.connectTimeoutMs;
  const started = clock.now();
  const transport = await (options.dial ?? connectTransport)(address, budget, options.bulkReads === true ? { bulkReads: true } : undefined);
  const connection = new RpcConnection<Remote, Local>(transport, {
    maxFrameBytes: options.maxFrameBytes,
    callTimeoutMs: options.callTimeoutMs,
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.maxMessageDepth !== undefined ? { maxMessageDepth: options.maxMessageDepth } : {}),
    ...(options.errorCodec ? { errorCodec: options.errorCodec } : {}),
    ...(options.onProtocolError ? { onProtocolError: options.onProtocolError } : {}),
    ...(options.onInvalidRequest ? { onInvalidRequest: options.onInvalidRequest } : {}),
    ...(options.upFrontFrameBytes !== undefined ? { upFrontFrameBytes: options.upFrontFrameBytes } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // The handshake itself must keep the process alive; weakness starts once open.
  const left = Math.max(1, Math.ceil(budget - (clock.now() - started)));
  await connection.clientHandshake(options.token, left, budget);
  if (options.weak === true) connection.setWeak(true);
  return connection;
}
