/**
 * Picks a replica for each request of one deployment, in the process that sends it (a
 * driver's handle, a proxy, another deployment's replica): power of two choices on the
 * requests this router has running on each replica, never more than maxOngoingRequests on
 * one. With every replica full (or none yet: a cold start), requests wait here in arrival
 * order, up to maxQueuedRequests (then BackPressureError); a replica that dies takes only
 * the requests it was running with it, those waiting go to the others.
 */
import { ApplicationNotFoundError, BackPressureError } from "lux";
import type { DeploymentRoutes, ReplicaRef } from "./specs.js";

/** A replica as this router counts it. */
export interface ReplicaSlot {
  readonly ref: ReplicaRef;
  /** Requests this router has running on it. */
  inflight: number;
  dead: boolean;
}

interface Waiter {
  resolve(slot: ReplicaSlot): void;
  reject(error: unknown): void;
}

/** What a router tells about its requests (for the autoscaler) and about dead replicas (to the controller). */
export interface RouterEvents {
  /** The router went from idle to busy, or a request waits with no replica (cold start). */
  demand(router: Router): void;
  replicaDied(router: Router, replicaId: string): void;
}

export class Router {
  private slots: ReplicaSlot[] = [];
  /** Replicas seen dying, kept out until the controller's routes drop them too. */
  private readonly dead = new Set<string>();
  private routes: DeploymentRoutes | undefined;
  private readonly waiting: Waiter[] = [];
  private running = 0;
  /** When the last request was taken (a driver's routers stop listening while idle). */
  lastUsedAt = 0;

  constructor(
    readonly app: string,
    readonly deployment: string,
    private readonly events: RouterEvents,
    private readonly random: () => number = Math.random,
  ) {}

  /** Requests running on replicas + waiting here: the demand the autoscaler reads. */
  get load(): number {
    return this.running + this.waiting.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get replicaCount(): number {
    return this.slots.length;
  }

  get metricsIntervalMs(): number | undefined {
    return this.routes?.metricsIntervalMs;
  }

  get known(): boolean {
    return this.routes !== undefined;
  }

  /** The replicas the controller says run the deployment now. */
  update(routes: DeploymentRoutes): void {
    this.routes = routes;
    if (routes.deleted === true) {
      this.slots = [];
      this.failWaiting(new ApplicationNotFoundError({ app: this.app, deployment: this.deployment, known: [] }));
      return;
    }
    const previous = new Map(this.slots.map((s) => [s.ref.id, s]));
    const listed = new Set(routes.replicas.map((r) => r.id));
    for (const id of this.dead) if (!listed.has(id)) this.dead.delete(id);
    this.slots = routes.replicas
      .filter((ref) => !this.dead.has(ref.id))
      .map((ref) => previous.get(ref.id) ?? { ref, inflight: 0, dead: false });
    this.drain();
    // Requests that came before the limits were known: those past maxQueuedRequests are refused now.
    const max = routes.maxQueuedRequests;
    if (max >= 0 && this.waiting.length > max) {
      const error = new BackPressureError({ app: this.app, deployment: this.deployment, maxQueuedRequests: max });
      for (const w of this.waiting.splice(max)) w.reject(error);
    }
  }

  /** A replica for one request: at once when one has room, else when one frees up. */
  acquire(now: number): ReplicaSlot | Promise<ReplicaSlot> {
    this.lastUsedAt = now;
    const routes = this.routes;
    if (routes?.deleted === true) throw new ApplicationNotFoundError({ app: this.app, deployment: this.deployment, known: [] });
    const slot = routes === undefined || this.waiting.length > 0 ? undefined : this.choose(routes.maxOngoingRequests);
    if (slot !== undefined) {
      // From idle to busy: the autoscaler hears of it (then every metricsIntervalMs while busy).
      if (this.running === 0) this.events.demand(this);
      return this.take(slot);
    }
    const max = routes?.maxQueuedRequests ?? -1;
    if (max >= 0 && this.waiting.length >= max) {
      throw new BackPressureError({ app: this.app, deployment: this.deployment, maxQueuedRequests: max });
    }
    const wasIdle = this.load === 0;
    const p = new Promise<ReplicaSlot>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (wasIdle || this.slots.length === 0) this.events.demand(this);
    return p;
  }

  /** The request on `slot` ended (whatever its outcome). */
  release(slot: ReplicaSlot): void {
    slot.inflight--;
    this.running--;
    this.drain();
  }

  /** The replica died under a request: no more requests go to it; the controller is told once. */
  replicaDied(slot: ReplicaSlot): void {
    if (slot.dead) return;
    slot.dead = true;
    this.dead.add(slot.ref.id);
    this.slots = this.slots.filter((s) => s !== slot);
    this.events.replicaDied(this, slot.ref.id);
  }

  /** Every waiting request fails with `error` (the process is shutting down). */
  failWaiting(error: unknown): void {
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private take(slot: ReplicaSlot): ReplicaSlot {
    slot.inflight++;
    this.running++;
    return slot;
  }

  private drain(): void {
    const max = this.routes?.maxOngoingRequests;
    if (max === undefined) return;
    while (this.waiting.length > 0) {
      const slot = this.choose(max);
      if (slot === undefined) return;
      (this.waiting.shift() as Waiter).resolve(this.take(slot));
    }
  }

  /** Power of two choices among the replicas with room: two at random, the less busy one. */
  private choose(max: number): ReplicaSlot | undefined {
    const slots = this.slots;
    const n = slots.length;
    if (n === 0) return undefined;
    const start = Math.floor(this.random() * n);
    let first: ReplicaSlot | undefined;
    let second: ReplicaSlot | undefined;
    // From a random start, the first two with room: uniform enough, and one pass at most.
    const step = n > 2 ? 1 + Math.floor(this.random() * (n - 1)) : 1;
    for (let i = 0, k = start; i < n; i++, k = (k + (gcd(step, n) === 1 ? step : 1)) % n) {
      const s = slots[k] as ReplicaSlot;
      if (s.inflight >= max) continue;
      if (first === undefined) first = s;
      else {
        second = s;
        break;
      }
    }
    if (second === undefined) return first;
    return (second.inflight < (first as ReplicaSlot).inflight ? second : first) as ReplicaSlot;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
