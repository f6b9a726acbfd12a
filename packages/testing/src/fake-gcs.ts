import { GcsService, type ActorCreationSpec, type ActorInfo } from "@lux/protocol";
import { ActorDiedError, toWireError } from "@lux/common";
import type { FakeNetwork } from "./fake-network.js";
import { FakePeer, OK } from "./fake-peer.js";
import type { FakeWorker } from "./fake-worker.js";

export interface FakeGcsOptions {
  /** Default: a new address of the network, "gcs-N". */
  address?: string;
}

interface ActorWaiter {
  staleAddress: string | undefined;
  resolve(info: ActorInfo): void;
  /** Stops the long-poll's timer. */
  cancel?: () => void;
}

/**
 * The control service in memory, as an actor's callers see it: an actor directory the test
 * moves through its states (`actorAlive`, `actorRestarting`, `actorDead`). getActorInfo answers as the
 * real one does: with `waitAlive`, once the actor is ALIVE (at another address than a
 * `staleAddress` given) or DEAD, or after `waitMs` on the network's clock with the state
 * it has then (a long-poll). createActor registers the actor PENDING. Every call is
 * recorded; other methods can be answered with `handle`.
 */
export class FakeGcs extends FakePeer<GcsService> {
  /** The directory, by actor id. */
  readonly actors = new Map<string, ActorInfo>();
  private readonly waiters = new Map<string, ActorWaiter[]>();

  constructor(network: FakeNetwork, options: FakeGcsOptions = {}) {
    super(network, options.address ?? network.address("gcs"), GcsService);
    this.handle("createActor", (spec) => {
      if (!this.actors.has(spec.actorId)) this.set(pendingInfo(spec));
      return { actorId: spec.actorId };
    });
    this.handle("getActorInfo", ({ actorId, waitAlive, staleAddress, waitMs }) => {
      const info = this.actors.get(actorId);
      if (info === undefined && !waitAlive) {
        throw new ActorDiedError({ actorId, cause: new Error("no actor has this id") });
      }
      if (info !== undefined && answers(info, waitAlive, staleAddress)) return { ...info };
      return new Promise<ActorInfo>((resolve) => this.wait(actorId, staleAddress, waitMs, resolve));
    });
    this.handle("killActor", () => OK);
    this.handle("reportActorExit", () => OK);
    this.handle("reportActorOutOfScope", () => OK);
    this.handle("subscribeNodeDeaths", () => ({ deadNodeIds: [] }));
    this.handle("subscribeActorNames", () => ({ names: [] }));
  }

  /** The actor (created PENDING if unknown) is ALIVE on `worker`. */
  actorAlive(actorId: string, worker: FakeWorker, fields: Partial<ActorInfo> = {}): void {
    this.set({ ...this.info(actorId), state: "ALIVE", address: worker.address, workerId: worker.workerId, ...fields });
  }

  /** The actor's worker died and it is being restarted. */
  actorRestarting(actorId: string): void {
    this.set({ ...this.info(actorId), state: "RESTARTING", address: undefined, workerId: undefined });
  }

  /** The actor is dead for good; `cause` says why (a sentence or an error). */
  actorDead(actorId: string, cause: Error | string = "the actor died"): void {
    this.set({ ...this.info(actorId), state: "DEAD", address: undefined, workerId: undefined, deathCause: toWireError(cause) });
  }

  /** Sets the actor's entry and answers the lookups it satisfies. */
  set(info: ActorInfo): void {
    this.actors.set(info.actorId, info);
    const waiting = this.waiters.get(info.actorId) ?? [];
    const still = waiting.filter((w) => {
      if (!answers(info, true, w.staleAddress)) return true;
      w.cancel?.();
      w.resolve({ ...info });
      return false;
    });
    this.waiters.set(info.actorId, still);
  }

  /** A lookup waits for a state that answers it; a long-poll (`waitMs`) is answered with the state it has then. */
  private wait(actorId: string, staleAddress: string | undefined, waitMs: number | undefined, resolve: (info: ActorInfo) => void): void {
    const waiter: ActorWaiter = { staleAddress, resolve };
    const list = this.waiters.get(actorId) ?? [];
    list.push(waiter);
    this.waiters.set(actorId, list);
    if (waitMs === undefined || waitMs === Infinity) return;
    const timer = this.network.clock.setTimeout(() => {
      const still = this.waiters.get(actorId) ?? [];
      if (!still.includes(waiter)) return;
      this.waiters.set(actorId, still.filter((w) => w !== waiter));
      resolve({ ...this.info(actorId), ...(this.actors.has(actorId) ? {} : { className: "" }) });
    }, waitMs);
    waiter.cancel = () => timer.cancel();
  }

  private info(actorId: string): ActorInfo {
    return this.actors.get(actorId) ?? { ...BLANK, actorId };
  }
}

const BLANK: ActorInfo = {
  actorId: "",
  state: "PENDING",
  className: "FakeActor",
  name: undefined,
  namespace: "default",
  address: undefined,
  workerId: undefined,
  nodeId: undefined,
  deathCause: undefined,
};

function pendingInfo(spec: ActorCreationSpec): ActorInfo {
  return {
    ...BLANK,
    actorId: spec.actorId,
    className: spec.className,
    name: spec.name,
    namespace: spec.namespace,
    maxTaskRetries: spec.maxTaskRetries ?? 0,
  };
}

/** Whether a lookup is answered with `info` now (see GcsService.getActorInfo). */
function answers(info: ActorInfo, waitAlive: boolean, staleAddress: string | undefined): boolean {
  if (!waitAlive || info.state === "DEAD") return true;
  return info.state === "ALIVE" && (staleAddress === undefined || info.address !== staleAddress);
}
