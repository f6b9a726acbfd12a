import type { CoreWorkerService, RpcConnection } from "@lux/protocol";

/** [namespace, name, actorId] of a named actor that is not dead. */
export type NamedActorEntry = [string, string, string];

/**
 * Tells subscribed core workers when a name is taken by an actor or freed (the actor died),
 * so a process can refuse a taken name at `.remote()` without asking: it keeps a copy of the
 * names. A subscriber gets every name in use when it subscribes, then every change, in order
 * on its connection.
 */
export class ActorNamePublisher {
  private readonly subscribers = new Set<RpcConnection<CoreWorkerService>>();

  /** Adds a subscriber (until its connection closes); returns `current()`, the names in use now. */
  subscribe(connection: RpcConnection<CoreWorkerService>, current: () => NamedActorEntry[]): NamedActorEntry[] {
    if (!this.subscribers.has(connection)) {
      this.subscribers.add(connection);
      connection.onClose(() => this.subscribers.delete(connection));
    }
    return current();
  }

  /** `name` in `namespace` is now held by `actorId`, or free (undefined). */
  changed(namespace: string, name: string, actorId: string | undefined): void {
    const change = actorId === undefined ? { namespace, name } : { namespace, name, actorId };
    for (const c of this.subscribers) {
      if (c.state !== "closed") c.notify("actorNameChanged", change);
    }
  }
}
