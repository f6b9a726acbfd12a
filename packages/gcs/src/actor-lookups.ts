/**
 * Lookups of actors that wait (getActorInfo with waitAlive) are long-polls: each answers
 * after its caller's `waitMs` at the latest, with the state as it is then, and the caller
 * asks again. Nothing waits on the control service without a deadline while an actor is
 * placed, built or restarted, however long that takes.
 */
import type { ActorInfo, Clock, TimerHandle } from "@lux/protocol";
import { ActorDiedError } from "@lux/common";

/** Lookups of one actor id not registered yet: one deadline from the first, however often it is asked. */
interface Wait {
  timer: TimerHandle;
  waiters: Set<(error?: Error) => void>;
}

/**
 * Lookups of actor ids the control service has not heard of yet: a handle can reach
 * another process before its creator's registration reaches the control service. A
 * lookup waits for the registration, up to `limitMs` (config actorRegistrationWaitMs)
 * counted from the first lookup of that id, so a long-poll that keeps asking cannot make
 * it wait forever; a refused registration (e.g. a taken name) fails its lookups.
 */
export class ActorRegistrations {
  private readonly waits = new Map<string, Wait>();
  /** Ids whose registration was refused or never came, for late lookups of their handles. */
  private readonly refused = new Map<string, ActorDiedError>();

  constructor(
    private readonly limitMs: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Resolves true once the id is registered, false if it is not within `waitMs` (a
   * long-poll: the caller asks again); rejects with ActorDiedError once it was refused or
   * did not come within the limit.
   */
  wait(actorId: string, waitMs: number): Promise<boolean> {
    const refused = this.refused.get(actorId);
    if (refused !== undefined) return Promise.reject(refused);
    let wait = this.waits.get(actorId);
    if (wait === undefined) {
      const limit = this.limitMs;
      const timer = this.clock
        .setTimeout(
          () => this.registered(actorId, new ActorDiedError({ actorId, cause: new Error(`no actor with this id was registered within ${limit} ms`) })),
          limit,
        )
        .unref();
      wait = { timer, waiters: new Set() };
      this.waits.set(actorId, wait);
    }
    const { waiters } = wait;
    return new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        poll?.cancel();
        if (error === undefined) resolve(true);
        else reject(error);
      };
      const poll =
        waitMs === Infinity
          ? undefined
          : this.clock.setTimeout(() => {
              waiters.delete(done);
              resolve(false);
            }, waitMs);
      waiters.add(done);
    });
  }

  /** The creator's registration arrived, or was refused with `error` (the cause of its lookups' ActorDiedError). */
  registered(actorId: string, error?: Error): void {
    const failure = error === undefined ? undefined : error instanceof ActorDiedError ? error : new ActorDiedError({ actorId, cause: error });
    if (failure !== undefined) this.refused.set(actorId, failure);
    const wait = this.waits.get(actorId);
    if (wait === undefined) return;
    this.waits.delete(actorId);
    wait.timer.cancel();
    for (const w of wait.waiters) w(failure);
  }
}

/**
 * The next info one of `waiters` is called with (the actor became ALIVE or DEAD), or, after
 * `waitMs`, the info as it is then (`current()`); the waiter is then taken back.
 */
export function nextChange(
  waiters: Set<(info: ActorInfo) => void>,
  current: () => ActorInfo,
  waitMs: number,
  clock: Clock,
): Promise<ActorInfo> {
  return new Promise((resolve) => {
    const waiter = (info: ActorInfo): void => {
      poll?.cancel();
      resolve(info);
    };
    const poll =
      waitMs === Infinity
        ? undefined
        : clock.setTimeout(() => {
            waiters.delete(waiter);
            resolve(current());
          }, waitMs);
    waiters.add(waiter);
  });
}

/** What a long-poll for an id not registered yet answers: still pending. */
export function unregisteredInfo(actorId: string): ActorInfo {
  return {
    actorId,
    state: "PENDING",
    className: "",
    name: undefined,
    namespace: "",
    address: undefined,
    workerId: undefined,
    nodeId: undefined,
    deathCause: undefined,
  };
}
