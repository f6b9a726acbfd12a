import { RpcConnection, type ErrorCodec } from "./connection.js";
import type { Handlers, ServiceDef } from "./service.js";
import { connectTransport, listenTransport } from "./transport-net.js";
import type { TransportListener } from "./transport.js";

export interface PeerOptions {
  token: string;
  maxFrameBytes: number;
  errorCodec?: ErrorCodec;
  handshakeTimeoutMs?: number;
  onProtocolError?: (error: Error, peer: string) => void;
}

export interface ServerOptions<Local extends ServiceDef> extends PeerOptions {
  address: string;
  handlers: Handlers<Local, RpcConnection<ServiceDef, Local>>;
  onConnection?: (connection: RpcConnection<ServiceDef, Local>) => void;
}

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
    server.listener = await listenTransport(options.address, (transport) => {
      const connection = new RpcConnection<ServiceDef, L>(transport, {
        maxFrameBytes: options.maxFrameBytes,
        handlers: options.handlers,
        ...(options.errorCodec ? { errorCodec: options.errorCodec } : {}),
        ...(options.onProtocolError ? { onProtocolError: options.onProtocolError } : {}),
      });
      server.connections.add(connection);
      if (server.weak) connection.setWeak(true);
      connection.onClose(() => server.connections.delete(connection));
      connection.serverHandshake(options.token, options.handshakeTimeoutMs ?? 10_000).then(
        () => options.onConnection?.(connection),
        () => undefined, // already reported through onProtocolError
      );
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

/** Opens an authenticated connection to a server. */
export async function connectRpc<Remote extends ServiceDef, Local extends ServiceDef = ServiceDef>(
  address: string,
  options: PeerOptions & {
    handlers?: Handlers<Local, RpcConnection<ServiceDef, Local>>;
    connectTimeoutMs?: number;
    weak?: boolean;
  },
): Promise<RpcConnection<Remote, Local>> {
  const timeout = options.connectTimeoutMs ?? 10_000;
  const transport = await connectTransport(address, timeout);
  const connection = new RpcConnection<Remote, Local>(transport, {
    maxFrameBytes: options.maxFrameBytes,
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.errorCodec ? { errorCodec: options.errorCodec } : {}),
    ...(options.onProtocolError ? { onProtocolError: options.onProtocolError } : {}),
  });
  // The handshake itself must keep the process alive; weakness starts once open.
  await connection.clientHandshake(options.token, options.handshakeTimeoutMs ?? timeout);
  if (options.weak === true) connection.setWeak(true);
  return connection;
}
