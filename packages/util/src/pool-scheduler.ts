import { get, kill, wait, type ActorHandle, type ActorOptions, type ObjectRef } from "@lux/core";
import { Fifo, type ShippedFunction } from "@lux/core/internal";
import { PoolWorkerClass, type ChunkOutcome, type PoolWorker } from "./pool-worker.js";

/** Items to run on one actor in one call; `settle` hears how it went (once). */
export interface ChunkJob {
  readonly fn: ShippedFunction;
  readonly items: unknown[];
  readonly star: boolean;
  /** The first item's position in the input. */
  readonly start: number;
  settle(outcome: ChunkOutcome | { readonly error: unknown }): void;
}

export interface SchedulerOptions {
  readonly actorOptions: ActorOptions;
  readonly initializer: ShippedFunction | undefined;
  readonly initargs: unknown[];
  /** Replace an actor once it was given this many calls (undefined: never). */
  readonly maxTasksPerChild: number | undefined;
}

interface Worker {
  readonly actor: ActorHandle<PoolWorker>;
  /** Calls given to it so far. */
  given: number;
  /** Calls given and not finished. */
  inFlight: number;
  /** Replaced (maxTasksPerChild): it takes no more calls and ends once its calls finish. */
  retired: boolean;
}

/** Chunks sent ahead to each actor (one running, one waiting in its queue), so no actor idles between chunks. */
const DEPTH = 2;

/**
 * The actors of a Pool and what they run: chunks wait in a backlog and go to the actor with
 * the fewest calls in flight (at most DEPTH each), so a slow chunk holds back only its actor.
 * With maxTasksPerChild an actor given that many calls is replaced at once by a new one (which
 * runs the initializer first) and killed when its calls are done.
 */
export class PoolScheduler {
  private readonly workers: Worker[] = [];
  /** Replaced actors whose calls are not all finished yet. */
  private readonly retiring = new Set<Worker>();
  private readonly backlog = new Fifo<ChunkJob>();
  /** Calls given to actors or waiting in the backlog, not finished. */
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: SchedulerOptions) {}

  get size(): number {
    return this.workers.length;
  }

  addWorkers(n: number): void {
    for (let i = 0; i < n; i++) this.workers.push(this.startWorker());
    this.dispatch();
  }

  run(job: ChunkJob): void {
    this.outstanding++;
    this.backlog.push(job);
    this.dispatch();
  }

  /** `fn(...args)` on the least busy actor now (not through the backlog); the ref of its result. */
  apply(fn: ShippedFunction, args: unknown[]): ObjectRef {
    const worker = this.leastBusy(Infinity) as Worker;
    this.outstanding++;
    const ref = this.give(worker, (actor) => actor.apply.remote(fn, args));
    wait([ref]).then(
      () => this.done(worker),
      () => this.done(worker),
    );
    return ref;
  }

  /** Resolves once nothing is outstanding (every chunk and apply finished). */
  whenIdle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails the chunks still in the backlog with `error(job)`. */
  dropBacklog(error: (job: ChunkJob) => unknown): void {
    for (let job = this.backlog.shift(); job !== undefined; job = this.backlog.shift()) {
      job.settle({ error: error(job) });
      this.outstanding--;
    }
    this.wakeIfIdle();
  }

  /** Kills every actor (their running calls fail with ActorDiedError). */
  async killAll(): Promise<void> {
    const actors = [...this.workers.splice(0), ...this.retiring].map((w) => w.actor);
    this.retiring.clear();
    await Promise.all(actors.map((a) => kill(a).catch(() => undefined)));
  }

  private startWorker(): Worker {
    const actor = PoolWorkerClass.options(this.options.actorOptions).remote();
    // Its first call: later calls wait behind it (calls from one caller start in order).
    actor.initialize.remote(this.options.initializer, this.options.initargs);
    return { actor, given: 0, inFlight: 0, retired: false };
  }

  private dispatch(): void {
    while (this.backlog.length > 0) {
      const worker = this.leastBusy(DEPTH);
      if (worker === undefined) return;
      const job = this.backlog.shift() as ChunkJob;
      const ref = this.give(worker, (actor) => actor.runChunk.remote(job.fn, job.items, job.star, job.start));
      get(ref).then(
        (outcome) => this.finished(worker, job, outcome),
        (error: unknown) => this.finished(worker, job, { error }),
      );
    }
  }

  private finished(worker: Worker, job: ChunkJob, outcome: ChunkOutcome | { error: unknown }): void {
    job.settle(outcome);
    this.done(worker);
  }

  /** A call of `worker` finished: it may end (retired), more chunks may go out, and join may return. */
  private done(worker: Worker): void {
    worker.inFlight--;
    this.outstanding--;
    if (worker.retired && worker.inFlight === 0 && this.retiring.delete(worker)) kill(worker.actor).catch(() => undefined);
    this.dispatch();
    this.wakeIfIdle();
  }

  private give<T>(worker: Worker, call: (actor: ActorHandle<PoolWorker>) => ObjectRef<T>): ObjectRef<T> {
    const ref = call(worker.actor);
    worker.given++;
    worker.inFlight++;
    const max = this.options.maxTasksPerChild;
    if (max !== undefined && worker.given >= max) this.replace(worker);
    return ref;
  }

  private replace(worker: Worker): void {
    worker.retired = true;
    this.retiring.add(worker);
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers[i] = this.startWorker();
  }

  private leastBusy(limit: number): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.workers) if (w.inFlight < limit && (best === undefined || w.inFlight < best.inFlight)) best = w;
    return best;
  }

  private wakeIfIdle(): void {
    if (this.outstanding !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
