/** Binds a service's handlers to its request schemas: what a connection dispatches to. */
import type { RpcConnection } from "./connection.js";
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
    this.methods[method] = { request: spec.request, handler: handler as DispatchEntry["handler"] };
  }
}

/** `handlers` for `service`, each behind its method's request schema: give this to a server or connection. */
export function serve<D extends ServiceSpec>(service: D, handlers: Handlers<ServiceOf<D>, ServerConnection<ServiceOf<D>>>): ServiceHandlers<ServiceOf<D>> {
  return new ServiceHandlers<ServiceOf<D>>(service, handlers);
}
