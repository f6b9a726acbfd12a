import { GetTimeoutError, InvalidOptionError, ObjectRef, get, wait } from "@lux/core";

/** How a value is given to an actor of the pool: call one of its methods, return the call's ref. */
export type PoolCall<A, V, R> = (actor: A, value: V) => ObjectRef<R>;

/** Options of `getNext` and `getNextUnordered`. */
export interface GetNextOptions {
  /** Throw GetTimeoutError if no result is ready after this many ms (the item stays pending). Default: no limit. */
  timeoutMs?: number;
}

interface Running<A> {
  readonly index: number;
  readonly actor: A;
}

/**
 * Runs values on a fixed set of actors, each actor one value at a time: `submit` gives a value
 * to an idle actor (or queues it until one is free); `getNext` returns results in submission
 * order, `getNextUnordered` as they finish. An actor goes back to the pool when its result is
 * taken, also when its call threw (the result then rejects with TaskError).
 *
 * `A` is the actors' handle type, `R` the type of the results of `submit` and `getNext`.
 *
 * @example
 * ```ts
 * const pool = new lux.util.ActorPool([Worker.remote(), Worker.remote()]);
 * for await (const y of pool.map((a, x) => a.double.remote(x), [1, 2, 3, 4])) console.log(y); // 2 4 6 8
 * ```
 */
export class ActorPool<A extends object, R = unknown> {
  private readonly idle: A[];
  /** Calls in flight (or finished and not yet taken), by ref. */
  private readonly running = new Map<ObjectRef, Running<A>>();
  private readonly refsByIndex = new Map<number, ObjectRef>();
  /** Queued values whose call threw when an actor came free for them: their results reject with that error. */
  private readonly failedByIndex = new Map<number, unknown>();
  /** Values waiting for an idle actor, in submission order. */
  private readonly queued: { call: PoolCall<A, unknown, R>; value: unknown }[] = [];
  private nextIndex = 0;
  /** Actors busy with calls whose results were dropped: they come back when those finish. */
  private readonly returning = new Set<A>();
  /** Callers waiting for a queued value to start (see `whenStarted`). */
  private releaseWaiters: (() => void)[] = [];

  /** `actors`: handles of the actors to run values on (more can be `push`ed later). */
  constructor(actors: Iterable<A>) {
    if (actors === null || typeof (actors as Partial<Iterable<A>>)[Symbol.iterator] !== "function") {
      throw new TypeError("new ActorPool() takes an array (or iterable) of actor handles");
    }
    this.idle = [...actors];
  }

  /**
   * Runs `call(actor, v)` for each value on the pool's actors and yields the results in the
   * order of `values`. A call that throws makes the iteration throw its TaskError. Results of
   * earlier submissions not taken yet are dropped first; leaving the loop early drops the
   * rest of this map's results (running calls finish, then their actors come back).
   */
  async *map<V, T>(call: PoolCall<A, V, T>, values: Iterable<V>): AsyncIterableIterator<T> {
    yield* this.drain(call, values, () => this.getNext() as Promise<unknown> as Promise<T>);
  }

  /** As `map`, but yields each result as soon as it is ready, whatever its position. */
  async *mapUnordered<V, T>(call: PoolCall<A, V, T>, values: Iterable<V>): AsyncIterableIterator<T> {
    yield* this.drain(call, values, () => this.getNextUnordered() as Promise<unknown> as Promise<T>);
  }

  /** Gives `value` to an idle actor (`call(actor, value)`), or queues it until one is free. */
  submit<V>(call: PoolCall<A, V, R>, value: V): void {
    if (typeof call !== "function") throw new TypeError("ActorPool.submit() takes a function (actor, value) => actor.method.remote(value)");
    const actor = this.idle.pop();
    if (actor === undefined) {
      this.queued.push({ call: call as PoolCall<A, unknown, R>, value });
      return;
    }
    try {
      this.start(actor, call as PoolCall<A, unknown, R>, value);
    } catch (e) {
      this.idle.push(actor);
      throw e;
    }
  }

  /** Whether results are pending (submitted and not taken yet, running or queued). */
  hasNext(): boolean {
    return this.refsByIndex.size > 0 || this.failedByIndex.size > 0 || this.queued.length > 0;
  }

  /** Whether an actor is idle and no value waits for one. */
  hasFree(): boolean {
    return this.idle.length > 0 && this.queued.length === 0;
  }

  /**
   * The next result in submission order, once ready. Throws TypeError when nothing is pending
   * (check `hasNext()`); GetTimeoutError after `timeoutMs` (the result stays pending); the
   * call's TaskError if it threw (its actor is back in the pool either way).
   */
  async getNext(options: GetNextOptions = {}): Promise<R> {
    const timeoutMs = timeoutOf(options);
    for (;;) {
      // Indexes are added in increasing order: the first key of each map is its oldest.
      const failed = this.failedByIndex.keys().next();
      const started = this.refsByIndex.entries().next();
      if (!failed.done && (started.done || failed.value < started.value[0])) throw this.takeFailed(failed.value);
      if (started.done) {
        await this.whenStarted("getNext");
        continue;
      }
      const [index, ref] = started.value;
      const outcome = await settle(ref as ObjectRef<R>, timeoutMs);
      // Another caller took this result meanwhile: wait for the next one instead.
      if (this.refsByIndex.get(index) !== ref) continue;
      this.finish(ref);
      return unwrap(outcome);
    }
  }

  /** The first result to be ready, whatever its position; throws as `getNext` does. */
  async getNextUnordered(options: GetNextOptions = {}): Promise<R> {
    const timeoutMs = timeoutOf(options);
    for (;;) {
      const failed = this.failedByIndex.keys().next();
      if (!failed.done) throw this.takeFailed(failed.value);
      if (this.running.size === 0) {
        await this.whenStarted("getNextUnordered");
        continue;
      }
      const refs = [...this.running.keys()];
      const [ready] = await wait(refs, { numReturns: 1, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      const ref = ready[0];
      if (ref === undefined) throw new GetTimeoutError({ timeoutMs: timeoutMs ?? 0, objectIds: refs.map((r) => r.id) });
      if (!this.running.has(ref)) continue; // taken by another caller meanwhile
      const outcome = await settle(ref as ObjectRef<R>, undefined);
      if (!this.running.has(ref)) continue;
      this.finish(ref);
      return unwrap(outcome);
    }
  }

  /** Takes an idle actor out of the pool (undefined when none is idle); the pool no longer uses it. */
  popIdle(): A | undefined {
    return this.idle.pop();
  }

  /** Adds an actor (it runs a queued value at once if one waits). Throws TypeError if it is in the pool already. */
  push(actor: A): void {
    const busy = this.returning.has(actor) || [...this.running.values()].some((r) => r.actor === actor);
    if (busy || this.idle.includes(actor)) throw new TypeError("ActorPool.push(): this actor is in the pool already");
    this.release(actor);
  }

  /** Runs `call` on `actor`; throws (taking no index) if the call does not give a ref. */
  private start(actor: A, call: PoolCall<A, unknown, R>, value: unknown): void {
    const ref = call(actor, value);
    if (!(ref instanceof ObjectRef)) {
      throw new TypeError("the function given to ActorPool must return the ObjectRef of an actor call: (actor, value) => actor.method.remote(value)");
    }
    const index = this.nextIndex++;
    this.running.set(ref, { index, actor });
    this.refsByIndex.set(index, ref);
  }

  /** The result of `ref` is taken: its actor goes back to the pool. */
  private finish(ref: ObjectRef): void {
    const run = this.running.get(ref) as Running<A>;
    this.running.delete(ref);
    this.refsByIndex.delete(run.index);
    this.release(run.actor);
  }

  /**
   * An actor is free: it takes the first queued value, or waits idle. A queued value whose
   * call throws takes its place in the results as that error, and the actor tries the next.
   */
  private release(actor: A): void {
    this.runOrIdle(actor);
    const waiters = this.releaseWaiters;
    this.releaseWaiters = [];
    for (const w of waiters) w();
  }

  private runOrIdle(actor: A): void {
    for (let next = this.queued.shift(); next !== undefined; next = this.queued.shift()) {
      try {
        this.start(actor, next.call, next.value);
        return;
      } catch (e) {
        this.failedByIndex.set(this.nextIndex++, e);
      }
    }
    this.idle.push(actor);
  }

  /**
   * Nothing runs: resolves once an actor comes back (a queued value may have started), or
   * throws when none can: nothing is queued (TypeError), or no actor will come back.
   */
  private whenStarted(method: string): Promise<void> {
    if (this.queued.length === 0) throw nothingPending(method);
    if (this.returning.size === 0) {
      throw new TypeError(`ActorPool.${method}(): values are queued but the pool has no actor to run them; push() one`);
    }
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  private takeFailed(index: number): unknown {
    const error = this.failedByIndex.get(index);
    this.failedByIndex.delete(index);
    return error;
  }

  private async *drain<V, T>(call: PoolCall<A, V, T>, values: Iterable<V>, next: () => Promise<T>): AsyncIterableIterator<T> {
    this.dropPending();
    try {
      for (const v of values) this.submit(call as unknown as PoolCall<A, V, R>, v);
      while (this.hasNext()) yield await next();
    } finally {
      this.dropPending();
    }
  }

  /**
   * Forgets every pending result: queued values are dropped; each running call keeps its actor
   * until it finishes, then the actor comes back to the pool.
   */
  private dropPending(): void {
    this.queued.length = 0;
    for (const [ref, { actor }] of this.running) {
      this.running.delete(ref);
      this.returning.add(actor);
      const back = (): void => {
        this.returning.delete(actor);
        this.release(actor);
      };
      wait([ref]).then(back, back); // rejected: Lux shut down meanwhile, the actor is of no more use anyway
    }
    this.refsByIndex.clear();
    this.failedByIndex.clear();
  }
}

type Outcome<T> = { value: T } | { error: unknown };

/** The result of `ref` once it is ready (a value or the error it rejects with); GetTimeoutError propagates. */
async function settle<T>(ref: ObjectRef<T>, timeoutMs: number | undefined): Promise<Outcome<T>> {
  try {
    return { value: await get(ref, timeoutMs !== undefined ? { timeoutMs } : {}) };
  } catch (error) {
    if (error instanceof GetTimeoutError) throw error;
    return { error };
  }
}

function unwrap<T>(outcome: Outcome<T>): T {
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

function nothingPending(method: string): TypeError {
  return new TypeError(`ActorPool.${method}(): no result is pending; submit a value first (hasNext() tells whether one is)`);
}

function timeoutOf(options: GetNextOptions): number | undefined {
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
    throw new InvalidOptionError({ option: "timeoutMs", expected: "a number of milliseconds >= 0", received: timeoutMs });
  }
  return timeoutMs;
}
