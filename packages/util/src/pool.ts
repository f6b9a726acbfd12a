import { InvalidOptionError, TaskCancelledError, clusterResources, get, type ActorOptions, type ObjectRef } from "@lux/core";
import { shipFunction, type ShippedFunction } from "@lux/core/internal";
import { ChunkResults, chunksOf } from "./pool-results.js";
import { PoolScheduler } from "./pool-scheduler.js";

/** Options of `new Pool()`; `I`: the initializer's parameters (any when not given, so any initializer fits). */
export interface PoolOptions<I extends unknown[] = any[]> {
  /** How many actors (processes) run items. Default: the cluster's CPUs. */
  processes?: number;
  /** Runs once in each actor before its first item (e.g. to open a connection the function then uses). */
  initializer?: (...args: I) => unknown;
  /** The initializer's arguments. */
  initargs?: I;
  /** Replace an actor by a new one after it ran this many calls (chunks, applies). Default: never. */
  maxTasksPerChild?: number;
  /** Options of each actor. Default `{ numCpus: 1 }`; each runs one call at a time. */
  actorOptions?: ActorOptions;
}

/** Options of `map`, `starmap`, `imap` and `imapUnordered`. */
export interface MapOptions {
  /** Items per actor call. Default: the items spread over four calls per actor. */
  chunksize?: number;
}

type Args<A extends unknown[]> = [] extends A ? [args?: A] : [args: A];

/**
 * A process pool on actors, after Python's `multiprocessing.Pool` (as Ray's
 * `ray.util.multiprocessing.Pool`): `processes` actors run a function over items in chunks.
 * The function ships as `lux.remote` ships one made at run time: its source runs in the
 * scope of its module (imports and top-level declarations work, local variables around it
 * do not), so pass a top-level function of a module. The same module's state set by the
 * `initializer` is there when it runs.
 *
 * @example
 * ```ts
 * // squares.ts: export function square(x: number) { return x * x; }
 * const pool = new lux.util.Pool({ processes: 4 });
 * console.log(await pool.map(square, [1, 2, 3])); // [1, 4, 9]
 * pool.close();
 * await pool.join();
 * ```
 */
export class Pool<I extends unknown[] = unknown[]> {
  private readonly scheduler: PoolScheduler;
  /** Settles once every actor was created (the cluster's CPUs counted when processes is not given). */
  private readonly started: Promise<void>;
  private state: "running" | "closed" | "terminated" = "running";
  private readonly initializerName: string | undefined;
  /** Map calls still shipping their function (join waits for them: their chunks are not given yet). */
  private readonly submitting = new Set<Promise<unknown>>();

  /** `I`: the initializer's parameters (inferred: `initargs` must match them). */
  constructor(options: PoolOptions<I> = {}) {
    const { processes, initializer, initargs = [] as unknown[], maxTasksPerChild, actorOptions = {} } = options;
    if (processes !== undefined) positiveInteger("processes", processes);
    if (maxTasksPerChild !== undefined) positiveInteger("maxTasksPerChild", maxTasksPerChild);
    if (initializer !== undefined && typeof initializer !== "function") {
      throw new InvalidOptionError({ option: "initializer", expected: "a function", received: initializer });
    }
    if (!Array.isArray(initargs)) throw new InvalidOptionError({ option: "initargs", expected: "an array", received: initargs });
    const shipped = initializer === undefined ? undefined : ship(initializer as (...a: unknown[]) => unknown, "Pool");
    this.scheduler = new PoolScheduler({ actorOptions: { numCpus: 1, ...actorOptions, maxConcurrency: 1 }, initializer: shipped, initargs, maxTasksPerChild });
    this.initializerName = shipped?.name;
    // One actor at once (applyAsync can use it); the rest once the cluster's CPUs are known.
    this.scheduler.addWorkers(processes ?? 1);
    this.started =
      processes !== undefined
        ? Promise.resolve()
        : clusterResources().then(
            (total) => {
              if (this.state !== "terminated") this.scheduler.addWorkers(Math.max(1, Math.floor(total["CPU"] ?? 1)) - 1);
            },
            () => undefined, // the cluster is gone: the calls that follow say so
          );
  }

  /** `fn(item)` for each item, on the pool's actors; the results in input order. A throwing item rejects it with a TaskError naming the item's index. */
  async map<T, R>(fn: (item: T) => R, items: Iterable<T>, options: MapOptions = {}): Promise<Awaited<R>[]> {
    return (await (await this.submit("map", fn, items, false, options)).all()) as Awaited<R>[];
  }

  /** As `map`, each item being the arguments of one call: `fn(...item)`. */
  async starmap<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>, options: MapOptions = {}): Promise<Awaited<R>[]> {
    return (await (await this.submit("starmap", fn as (...a: unknown[]) => unknown, items, true, options)).all()) as Awaited<R>[];
  }

  /** As `map`, yielding results in input order as they are ready (a chunk at a time). */
  async *imap<T, R>(fn: (item: T) => R, items: Iterable<T>, options: MapOptions = {}): AsyncIterableIterator<Awaited<R>> {
    yield* (await this.submit("imap", fn, items, false, options)).ordered() as AsyncIterableIterator<Awaited<R>>;
  }

  /** As `imap`, in the order results are ready. */
  async *imapUnordered<T, R>(fn: (item: T) => R, items: Iterable<T>, options: MapOptions = {}): AsyncIterableIterator<Awaited<R>> {
    yield* (await this.submit("imapUnordered", fn, items, false, options)).unordered() as AsyncIterableIterator<Awaited<R>>;
  }

  /** `fn(...args)` once, on one of the pool's actors. */
  async apply<A extends unknown[], R>(fn: (...args: A) => R, ...[args]: Args<A>): Promise<Awaited<R>> {
    return get(this.applyAsync(fn, ...([args] as Args<A>)));
  }

  /** `fn(...args)` once, on one of the pool's actors; the ref of its result, at once (a throw rejects it with TaskError). */
  applyAsync<A extends unknown[], R>(fn: (...args: A) => R, ...[args]: Args<A>): ObjectRef<Awaited<R>> {
    this.checkRunning("applyAsync");
    if (args !== undefined && !Array.isArray(args)) throw new TypeError("Pool.applyAsync() takes the function's arguments as an array");
    const shipped = ship(fn as (...a: unknown[]) => unknown, "Pool.applyAsync");
    return this.scheduler.apply(shipped, args ?? []) as ObjectRef<Awaited<R>>;
  }

  /** Takes no more work; what was given finishes. `join()` then waits for it. */
  close(): void {
    if (this.state === "running") this.state = "closed";
  }

  /** Ends the actors now: running items fail (ActorDiedError), items not started fail with TaskCancelledError. */
  async terminate(): Promise<void> {
    this.state = "terminated";
    this.scheduler.dropBacklog(
      (job) => new TaskCancelledError({ taskId: `${job.fn.name} on items ${job.start}-${job.start + job.items.length - 1} of a pool terminated before they ran` }),
    );
    await this.scheduler.killAll();
  }

  /** After `close()`: waits for the work given to finish, then ends the actors. After `terminate()`: returns. */
  async join(): Promise<void> {
    if (this.state === "running") throw new TypeError("Pool.join() was called on a running pool; call close() or terminate() first");
    await Promise.allSettled([...this.submitting]);
    await this.scheduler.whenIdle();
    await this.scheduler.killAll();
  }

  /** `await using pool = new lux.util.Pool()`: terminated when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  /** Ships `fn` and gives its items to the actors in chunks; the results as they come. */
  private submit(method: string, fn: (...a: never[]) => unknown, items: Iterable<unknown>, star: boolean, options: MapOptions): Promise<ChunkResults> {
    this.checkRunning(method);
    const list = listOf(method, items);
    if (star) list.forEach((args, i) => checkArgs(method, args, i));
    if (options.chunksize !== undefined) positiveInteger("chunksize", options.chunksize);
    const { shipped, exported } = shipFunction(fnOf(fn, `Pool.${method}`), `Pool.${method}`);
    const submitted = this.give(method, shipped, exported, list, star, options);
    this.submitting.add(submitted);
    const forget = (): boolean => this.submitting.delete(submitted);
    submitted.then(forget, forget);
    return submitted;
  }

  private async give(method: string, shipped: ShippedFunction, exported: Promise<void> | undefined, list: unknown[], star: boolean, options: MapOptions): Promise<ChunkResults> {
    await exported;
    await this.started;
    if (this.state === "terminated") throw new TaskCancelledError({ taskId: `Pool.${method}(${shipped.name}) of a pool terminated before its items ran` });
    const chunksize = options.chunksize ?? Math.max(1, Math.ceil(list.length / (this.scheduler.size * 4)));
    const chunks = chunksOf(list, chunksize);
    const results = new ChunkResults(chunks.length, { fn: shipped.name, initializer: this.initializerName });
    chunks.forEach((c, n) => this.scheduler.run({ fn: shipped, items: c.items, star, start: c.start, settle: (o) => results.settle(n, o) }));
    return results;
  }

  private checkRunning(method: string): void {
    if (this.state !== "running") throw new TypeError(`Pool.${method}() was called on a ${this.state} pool; create a new Pool`);
  }
}

function ship(fn: (...a: never[]) => unknown, operation: string): ShippedFunction {
  const { shipped, exported } = shipFunction(fnOf(fn, operation), operation);
  // Not awaited: a worker that loads it first waits for it; a failure shows there.
  exported?.catch(() => undefined);
  return shipped;
}

function fnOf(fn: unknown, operation: string): Function {
  if (typeof fn !== "function") throw new TypeError(`${operation}() takes a function (a top-level function of a module), got ${typeof fn}`);
  if (/^class\b/.test(Function.prototype.toString.call(fn))) throw new TypeError(`${operation}() takes a function, not a class`);
  return fn;
}

function listOf(method: string, items: Iterable<unknown>): unknown[] {
  if (items === null || typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
    throw new TypeError(`Pool.${method}() takes an array (or iterable) of items`);
  }
  return Array.isArray(items) ? items : [...items];
}

function checkArgs(method: string, args: unknown, index: number): void {
  if (!Array.isArray(args)) throw new TypeError(`Pool.${method}(): item ${index} is not an array of arguments`);
}

function positiveInteger(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new InvalidOptionError({ option, expected: "an integer >= 1", received: value });
  }
}
