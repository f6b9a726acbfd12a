import { InvalidOptionError, QueueEmptyError, QueueFullError, get, kill, type ActorHandle, type ActorOptions } from "@lux/core";
import { QueueActorClass, type QueueActor } from "./queue-actor.js";
import type { Taken } from "./queue-state.js";

/** Options of `new Queue()`. */
export interface QueueOptions {
  /** Most items the queue holds at once; a put beyond waits (or throws QueueFullError). Default 0: no limit. */
  maxsize?: number;
  /**
   * Options of the actor that holds the items (e.g. `{ name, lifetime: "detached" }`, or
   * `maxConcurrency`: how many blocked gets and puts may wait at once, 1,000 by default).
   */
  actorOptions?: ActorOptions;
}

/** Options of `put`. */
export interface PutOptions {
  /** Wait for room while the queue is full. Default true; false throws QueueFullError at once. */
  block?: boolean;
  /** With `block`, throw QueueFullError if there is still no room after this many ms. Default: no limit. */
  timeoutMs?: number;
}

/** Options of `get`. */
export interface GetItemOptions {
  /** Wait for an item while the queue is empty. Default true; false throws QueueEmptyError at once. */
  block?: boolean;
  /** With `block`, throw QueueEmptyError if there is still no item after this many ms. Default: no limit. */
  timeoutMs?: number;
}

/**
 * A first-in first-out queue shared by the processes of a cluster, held by an actor (as
 * Ray's `ray.util.queue.Queue`). Pass it to tasks and actors like any value: each receiver
 * gets a Queue on the same actor. Each item put is taken by exactly one get.
 *
 * @example
 * ```ts
 * const queue = new lux.util.Queue<number>({ maxsize: 100 });
 * const produce = lux.remote(async (q: lux.util.Queue<number>, n: number) => { for (let i = 0; i < n; i++) await q.put(i); });
 * produce.remote(queue, 10);
 * console.log(await queue.get({ timeoutMs: 5000 })); // 0
 * ```
 */
export class Queue<T = unknown> {
  /** Most items held at once (0: no limit). */
  readonly maxsize: number;
  /** The actor holding the items; it travels with the queue. */
  readonly actor: ActorHandle<QueueActor>;

  constructor(options: QueueOptions = {}) {
    const maxsize = options.maxsize ?? 0;
    if (!Number.isSafeInteger(maxsize) || maxsize < 0) {
      throw new InvalidOptionError({ option: "maxsize", expected: "an integer >= 0 (0: no limit)", received: maxsize });
    }
    this.maxsize = maxsize;
    this.actor = QueueActorClass.options(options.actorOptions ?? {}).remote(maxsize);
  }

  /**
   * Puts `item` at the end. While the queue is full it waits for room (`block`, up to
   * `timeoutMs`); it throws QueueFullError when it cannot wait or the wait runs out.
   */
  async put(item: T, options: PutOptions = {}): Promise<void> {
    const { block, timeoutMs } = blocking(options);
    if (!block) return this.putNowait(item);
    if (!(await get(this.actor.put.remote([item], timeoutMs)))) {
      throw new QueueFullError({ maxsize: this.maxsize, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    }
  }

  /**
   * Takes the first item. While the queue is empty it waits for one (`block`, up to
   * `timeoutMs`); it throws QueueEmptyError when it cannot wait or the wait runs out.
   */
  async get(options: GetItemOptions = {}): Promise<T> {
    const { block, timeoutMs } = blocking(options);
    if (!block) return this.getNowait();
    return itemOf(await get(this.actor.get.remote(timeoutMs)), { timeoutMs });
  }

  /** Puts `item` if there is room now; else throws QueueFullError. */
  async putNowait(item: T): Promise<void> {
    if (!(await get(this.actor.putNowait.remote([item])))) throw new QueueFullError({ maxsize: this.maxsize });
  }

  /** Puts all of `items` if they all fit now, else none (QueueFullError). */
  async putNowaitBatch(items: readonly T[]): Promise<void> {
    if (!Array.isArray(items)) throw new TypeError("Queue.putNowaitBatch() takes an array of items");
    if (!(await get(this.actor.putNowaitBatch.remote([...items])))) {
      throw new QueueFullError({ maxsize: this.maxsize, items: items.length });
    }
  }

  /** Takes the first item if there is one now; else throws QueueEmptyError. */
  async getNowait(): Promise<T> {
    return itemOf(await get(this.actor.getNowait.remote()), {});
  }

  /** Takes the first `n` items if there are that many now, else none (QueueEmptyError). */
  async getNowaitBatch(n: number): Promise<T[]> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Queue.getNowaitBatch() takes a number of items >= 0, got ${String(n)}`);
    return itemOf(await get(this.actor.getNowaitBatch.remote(n)), { items: n }) as T[];
  }

  /** How many items the queue holds now. */
  size(): Promise<number> {
    return get(this.actor.size.remote());
  }

  /** Whether the queue holds no item now. */
  empty(): Promise<boolean> {
    return get(this.actor.empty.remote());
  }

  /** Whether the queue holds `maxsize` items now (never, without a maxsize). */
  full(): Promise<boolean> {
    return get(this.actor.full.remote());
  }

  /**
   * Ends the queue's actor and drops its items. Calls through this queue (and its copies in
   * other processes) fail with ActorDiedError from now on, waiting ones too.
   */
  async shutdown(): Promise<void> {
    await kill(this.actor);
  }
}

function itemOf<T>(taken: Taken<unknown>, miss: { timeoutMs?: number | undefined; items?: number }): T {
  if (taken.ok) return taken.item as T;
  throw new QueueEmptyError({
    ...(miss.timeoutMs !== undefined ? { timeoutMs: miss.timeoutMs } : {}),
    ...(miss.items !== undefined ? { items: miss.items } : {}),
  });
}

function blocking(options: PutOptions | GetItemOptions): { block: boolean; timeoutMs: number | undefined } {
  const { block = true, timeoutMs } = options;
  if (typeof block !== "boolean") throw new InvalidOptionError({ option: "block", expected: "a boolean", received: block });
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
    throw new InvalidOptionError({ option: "timeoutMs", expected: "a number of milliseconds >= 0", received: timeoutMs });
  }
  return { block, timeoutMs };
}
