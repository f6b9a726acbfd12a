/** Binds a service's handlers to its request schemas: what a connection dispatches to. */
import type { RpcConnection } from "./connection.js";
import { LatencyHistogram } from "./latency-histogram.js";
import type { DispatchEntry, Handlers, MethodName, ServedHandlers, ServiceDef, ServiceOf, ServiceSpec } from "./service.js";

/** The connection a handler of service `S` is called with. */
export type ServerConnection<S extends ServiceDef> = RpcConnection<ServiceDef, S>;

/**
 * Handlers of a declared service behind its schemas. `handle` adds or replaces one later:
 * connections that dispatch through this object see it at once (test fakes use this).
 */
export class ServiceHandlers<S extends ServiceDef> implements ServedHandlers<S> {
  declare readonly __service?: S;
  readonly methods: Record<string, DispatchEntry | undefined> = Object.create(null) as Record<string, DispatchEntry | undefined>;
  /** Handling times per method, once `measure()` was called. */
  private latencies: Map<string, LatencyHistogram> | undefined;

  constructor(
    private readonly service: ServiceSpec,
    handlers: Handlers<S, ServerConnection<S>>,
  ) {
    for (const [method, handler] of Object.entries(handlers)) {
      if (handler !== undefined) this.handle(method as MethodName<S>, handler as never);
    }
  }

  /** Answers `method` with `handler` from now on. */
  handle<M extends MethodName<S>>(method: M, handler: NonNullable<Handlers<S, ServerConnection<S>>[M]>): void {
    const spec = Object.hasOwn(this.service, method) ? this.service[method] : undefined;
    if (spec === undefined) throw new TypeError(`${method} is not a method of this service`);
    const latency = this.latencies === undefined ? undefined : this.latencyOf(this.latencies, method);
    this.methods[method] = { request: spec.request, handler: handler as DispatchEntry["handler"], latency, bytes: spec.bytesReply === true };
  }

  /**
   * From now on, connections time each request they handle through these handlers (from its
   * arrival to its reply), per method: the histograms returned, which the caller reads.
   */
  measure(): ReadonlyMap<string, LatencyHistogram> {
    const latencies = (this.latencies ??= new Map());
    for (const [method, entry] of Object.entries(this.methods)) {
      if (entry !== undefined) this.methods[method] = { ...entry, latency: this.latencyOf(latencies, method) };
    }
    return latencies;
  }

  private latencyOf(latencies: Map<string, LatencyHistogram>, method: string): LatencyHistogram {
    let h = latencies.get(method);
    if (h === undefined) latencies.set(method, (h = new LatencyHistogram()));
    return h;
  }
}

/** `handlers` for `service`, each behind its method's request schema: give this to a server or connection. */
export function serve<D extends ServiceSpec>(service: D, handlers: Handlers<ServiceOf<D>, ServerConnection<ServiceOf<D>>>): ServiceHandlers<ServiceOf<D>> {
  return new ServiceHandlers<ServiceOf<D>>(service, handlers);
}
