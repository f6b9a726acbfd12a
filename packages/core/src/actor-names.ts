import type { CoreWorkerService, GcsService, ReconnectingConnection } from "@lux/protocol";
import { ActorNameTakenError, createLogger } from "@lux/common";

const log = createLogger("core");

type Change = { namespace: string; name: string; actorId?: string | undefined };

/**
 * The names of the cluster's named actors, as far as this process knows, so `.remote()`
 * refuses a taken name at once, as Ray does, without a round trip to the control service:
 * a copy of the control service's names (subscribed to; a driver subscribes when it starts,
 * a worker when it first creates a named actor), plus the names of this process's own
 * creations the control service has not answered yet. The control service stays the judge:
 * a name taken elsewhere that this copy has not heard of yet is refused there, and the new
 * handle's calls reject with the same ActorNameTakenError.
 */
export class ActorNames {
  /** Names in use by the control service's last word: key → actor id. */
  private readonly taken = new Map<string, string>();
  /** Names this process's creations claim until the control service answers: key → actor id. */
  private readonly claimed = new Map<string, string>();
  private subscribed = false;
  /** Changes heard while a subscription's snapshot is on its way (they come after it). */
  private heldChanges: Change[] | undefined;

  constructor(
    private readonly gcs: ReconnectingConnection<GcsService, CoreWorkerService>,
    private readonly timeoutMs: number,
  ) {
    gcs.onReconnected(() => {
      if (this.subscribed) void this.fetch();
    });
  }

  /** Subscribes to the control service's names (once); settles when the copy is filled. */
  async subscribe(): Promise<void> {
    if (this.subscribed) return;
    this.subscribed = true;
    // Failed: asked again by the next creation of a named actor.
    if (!(await this.fetch())) this.subscribed = false;
  }

  private async fetch(): Promise<boolean> {
    this.heldChanges = [];
    try {
      const { names } = await this.gcs.call("subscribeActorNames", {}, this.timeoutMs);
      this.taken.clear();
      for (const [namespace, name, actorId] of names) this.taken.set(key(namespace, name), actorId);
      for (const change of this.heldChanges ?? []) this.apply(change);
      return true;
    } catch (e) {
      log.debug(`could not subscribe to actor names (the control service checks them still): ${(e as Error).message}`);
      return false;
    } finally {
      this.heldChanges = undefined;
    }
  }

  /** The control service says a name was taken or freed. */
  changed(change: Change): void {
    if (this.heldChanges !== undefined) this.heldChanges.push(change);
    else this.apply(change);
  }

  private apply({ namespace, name, actorId }: Change): void {
    if (actorId === undefined) this.taken.delete(key(namespace, name));
    else this.taken.set(key(namespace, name), actorId);
  }

  /**
   * A creation of this process wants `name`: ActorNameTakenError if this process knows it is
   * taken, else it is claimed for `actorId` until `settled`.
   */
  claim(namespace: string, name: string, actorId: string): void {
    const k = key(namespace, name);
    if (this.taken.has(k) || this.claimed.has(k)) throw new ActorNameTakenError({ name, namespace });
    this.claimed.set(k, actorId);
    void this.subscribe();
  }

  /** The control service answered the creation that claimed `name` (the copy knows the outcome by now). */
  settled(namespace: string, name: string, actorId: string): void {
    const k = key(namespace, name);
    if (this.claimed.get(k) === actorId) this.claimed.delete(k);
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}
