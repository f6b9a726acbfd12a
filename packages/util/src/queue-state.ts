import { Fifo } from "@lux/core/internal";
import type { Clock, TimerHandle } from "@lux/protocol";

/** What a get finds: an item, or nothing (empty, or its wait ran out). */
export type Taken<T> = { ok: true; item: T } | { ok: false };

interface Getter<T> {
  resolve(taken: Taken<T>): void;
  timer?: TimerHandle;
}

interface Putter<T> {
  readonly item: T;
  resolve(put: boolean): void;
  timer?: TimerHandle;
}

/**
 * The items of a queue and the calls waiting on it, in one process (the queue's actor).
 * FIFO for items and for waiters; an item goes to exactly one getter: handed over at once
 * to the oldest waiting getter, or kept until a get takes it. A put waiting for room enters
 * the queue when a get makes room, oldest first. A wait that runs out leaves nothing behind.
 */
export class QueueState<T> {
  private readonly items = new Fifo<T>();
  /** Waiting calls, oldest first (a Set keeps insertion order, and one whose wait ran out leaves at once). */
  private readonly getters = new Set<Getter<T>>();
  private readonly putters = new Set<Putter<T>>();

  /** `maxsize`: most items held at once; 0 for no limit. */
  constructor(
    readonly maxsize: number,
    private readonly clock: Clock,
  ) {}

  size(): number {
    return this.items.length;
  }

  empty(): boolean {
    return this.items.length === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  /** Puts `item` if there is room (or a getter waits for it); false when full. */
  putNowait(item: T): boolean {
    const getter = oldest(this.getters);
    if (getter !== undefined) {
      getter.resolve({ ok: true, item });
      return true;
    }
    if (this.full()) return false;
    this.items.push(item);
    return true;
  }

  /** Puts all of `items` if they all fit, else none (false). */
  putNowaitBatch(items: readonly T[]): boolean {
    if (this.maxsize > 0 && this.items.length + items.length > this.maxsize) return false;
    for (const item of items) this.putNowait(item);
    return true;
  }

  /**
   * Puts `item`, waiting up to `timeoutMs` (undefined: no limit) for room; false when the wait
   * ran out. Puts wait only while the queue is full, so one that finds room goes in at once.
   */
  put(item: T, timeoutMs: number | undefined): Promise<boolean> | boolean {
    if (this.putNowait(item)) return true;
    if (timeoutMs === 0) return false;
    return new Promise((resolve) => this.wait(this.putters, { item, resolve }, timeoutMs, () => resolve(false)));
  }

  getNowait(): Taken<T> {
    if (this.items.length === 0) return { ok: false };
    const item = this.items.shift() as T;
    this.admitPutters();
    return { ok: true, item };
  }

  /** The first `n` items, if there are that many, else none (ok: false). */
  getNowaitBatch(n: number): Taken<T[]> {
    if (this.items.length < n) return { ok: false };
    const items: T[] = [];
    for (let i = 0; i < n; i++) items.push(this.items.shift() as T);
    this.admitPutters();
    return { ok: true, item: items };
  }

  /** The first item, waiting up to `timeoutMs` (undefined: no limit) for one; ok: false when the wait ran out. */
  get(timeoutMs: number | undefined): Promise<Taken<T>> | Taken<T> {
    const taken = this.getNowait();
    if (taken.ok || timeoutMs === 0) return taken;
    return new Promise((resolve) => this.wait(this.getters, { resolve }, timeoutMs, () => resolve({ ok: false })));
  }

  /** Waiting puts enter, oldest first, while there is room. */
  private admitPutters(): void {
    while (!this.full()) {
      const putter = oldest(this.putters);
      if (putter === undefined) return;
      this.putNowait(putter.item);
      putter.resolve(true);
    }
  }

  /** Queues a waiter that gives up after `timeoutMs` (leaving the queue, then calling `expire`). */
  private wait<W extends { timer?: TimerHandle }>(waiters: Set<W>, waiter: W, timeoutMs: number | undefined, expire: () => void): void {
    waiters.add(waiter);
    if (timeoutMs === undefined) return;
    waiter.timer = this.clock.setTimeout(() => {
      if (waiters.delete(waiter)) expire();
    }, timeoutMs);
  }
}

/** The oldest waiter, out of its set, its timer cancelled. */
function oldest<W extends { timer?: TimerHandle }>(waiters: Set<W>): W | undefined {
  const first = waiters.values().next();
  if (first.done) return undefined;
  waiters.delete(first.value);
  first.value.timer?.cancel();
  return first.value;
}
