import {
  ServiceHandlers,
  acceptRpc,
  type MethodName,
  type ReplyOf,
  type RequestOf,
  type RpcConnection,
  type ServiceDef,
  type ServiceSpec,
  type Transport,
} from "@lux/protocol";
import type { FakeListener, FakeNetwork } from "./fake-network.js";

/** The reply of the many methods that only acknowledge. */
export const OK = { ok: true } as const;

/** One call or notification a fake received. */
export interface FakeCall {
  method: string;
  request: unknown;
}

/** How a fake answers one method. */
export type FakeHandler<S extends ServiceDef, M extends MethodName<S>> = (
  request: RequestOf<S, M>,
  connection: RpcConnection<ServiceDef, S>,
) => ReplyOf<S, M> | Promise<ReplyOf<S, M>>;

type AnyHandler = (request: unknown, connection: RpcConnection<ServiceDef, ServiceDef>) => unknown;

/**
 * A fake process serving service `S` at an address of a FakeNetwork: it answers each
 * method with a handler the subclass (or the test, with `handle`) sets, and records every
 * call and notification it answers, in order. A method without a handler is refused (not
 * recorded) as the real peer refuses an unknown method. `die` closes every connection to
 * it, as the end of its process would.
 */
export class FakePeer<S extends ServiceDef> implements FakeListener {
  /** Every call and notification answered, in arrival order. */
  readonly calls: FakeCall[] = [];
  /**
   * One object shared by every connection: a handler set later answers on connections open
   * already. Requests are checked against the service's schemas, as a real peer checks them.
   */
  private readonly handlers: ServiceHandlers<S>;
  private readonly connections = new Set<RpcConnection<ServiceDef, S>>();
  private up = true;

  constructor(
    protected readonly network: FakeNetwork,
    readonly address: string,
    /** The service it serves (e.g. GcsService), whose request schemas it checks. */
    service: ServiceSpec,
  ) {
    this.handlers = new ServiceHandlers<S>(service, {});
    network.listen(address, this);
  }

  get reachable(): boolean {
    return this.up;
  }

  /** Whether it has not died. */
  get alive(): boolean {
    return this.up;
  }

  /** Connections open to it now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  accept(transport: Transport): void {
    const { token, maxFrameBytes, connectTimeoutMs, callTimeoutMs, errorCodec, clock } = this.network.peerOptions;
    const connection = acceptRpc<S>(transport, {
      token,
      maxFrameBytes,
      connectTimeoutMs,
      callTimeoutMs,
      handlers: this.handlers,
      ...(errorCodec ? { errorCodec } : {}),
      ...(clock ? { clock } : {}),
    });
    this.connections.add(connection);
    connection.onClose(() => this.connections.delete(connection));
  }

  /** Answers `method` with `handler` from now on (recorded like every call). */
  handle<M extends MethodName<S>>(method: M, handler: FakeHandler<S, M>): void {
    const h = handler as unknown as AnyHandler;
    const recorded: AnyHandler = (request, connection) => {
      this.calls.push({ method, request });
      return h(request, connection);
    };
    this.handlers.handle(method, recorded as never);
  }

  /** The requests of `method` received so far, in order. */
  received<M extends MethodName<S>>(method: M): RequestOf<S, M>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request as RequestOf<S, M>);
  }

  /** Its process ends: every connection to it closes (calls pending on them fail) and dials to it fail. */
  die(): void {
    this.up = false;
    for (const c of this.connections) c.close(true);
  }
}
