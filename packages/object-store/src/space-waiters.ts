import type { Clock, TimerHandle } from "@lux/protocol";
import type { Allocator } from "./allocator.js";

interface Waiter {
  objectId: string;
  size: number;
  client: unknown;
  resolve(offset: number): void;
  reject(e: Error): void;
  /**
   * Set for a create whose caller blocks its thread on the answer (a synchronous put): it
   * waits only while spilling can make room, bounded by this timer, and is answered -1
   * instead of failing (the caller then stages its value and waits like any other create).
   */
  brief: { timer: TimerHandle } | undefined;
}

export interface SpaceWaitersDeps {
  allocator: Allocator;
  clock: Clock;
  /** How long the waiters may go without any of them getting space or any spill ending, before they fail with `fullError`. */
  fullTimeoutMs: number;
  /** While creates wait, how often processes are asked to collect garbage. */
  pressureIntervalMs: number;
  /** Asked to make processes collect garbage: dropped refs then free their objects. */
  onPressure: (() => void) | undefined;
  /** Frees arena space (spilling, evicting) for the waiters. */
  makeRoom: () => void;
  /** What a create fails with when the store made no room for `fullTimeoutMs`. */
  fullError: (objectId: string, size: number, why: string) => Error;
}

/**
 * Creates waiting for arena space, served in arrival order as frees, releases and spills
 * make room. A queue that moves never fails: the creates fail only when the store made no
 * progress (no waiter served, no spill ended) for fullTimeoutMs, so a burst of large puts
 * behind one another waits as long as spilling keeps up. While any waits, processes are
 * asked in rounds to collect garbage: views and refs they dropped only release their
 * objects once collected.
 */
export class SpaceWaiters {
  private readonly waiters: Waiter[] = [];
  private pressureTimer: TimerHandle | undefined;
  private stallTimer: TimerHandle | undefined;

  constructor(private readonly deps: SpaceWaitersDeps) {}

  /** How many creates wait (a new create may not jump ahead of them). */
  get count(): number {
    return this.waiters.length;
  }

  /** Bytes the first waiter needs; 0 when none waits. */
  get needed(): number {
    return this.waiters[0]?.size ?? 0;
  }

  /** An arena region of `size` bytes, once frees, releases or spills make room for it. */
  reserve(objectId: string, size: number, client: unknown): Promise<number> {
    return new Promise((resolve, reject) => this.add({ objectId, size, client, resolve, reject, brief: undefined }));
  }

  /**
   * An arena region of `size` bytes if spilling makes room within `maxWaitMs`; -1 when it
   * does not (the wait lapsed, nothing more can be spilled, or spilling failed).
   */
  reserveBriefly(objectId: string, size: number, client: unknown, maxWaitMs: number): Promise<number> {
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => this.giveUp(waiter), maxWaitMs);
      const waiter: Waiter = { objectId, size, client, resolve, reject: () => resolve(-1), brief: { timer } };
      this.add(waiter);
    });
  }

  /** The store made room (a spill ended): the waiters' deadline starts again. */
  progress(): void {
    this.stallTimer?.cancel();
    this.stallTimer = undefined;
    if (this.waiters.length > 0) this.armStall();
  }

  /** Gives space to the waiters it now fits, in order. */
  serve(): void {
    let served = false;
    while (this.waiters.length > 0) {
      const w = this.waiters[0] as Waiter;
      const offset = this.deps.allocator.allocate(w.size);
      if (offset < 0) break; // makeRoom and the pressure timer keep working on it
      this.waiters.shift();
      w.brief?.timer.cancel();
      w.resolve(offset);
      served = true;
    }
    if (served) this.progress();
    this.stopTimers();
  }

  /** Whether the first waiter only waits for spilling: when none is left to spill, it is answered -1 (by giveUpFirst). */
  get firstIsBrief(): boolean {
    return this.waiters[0]?.brief !== undefined;
  }

  /** The first waiter stops waiting: answered -1. */
  giveUpFirst(): void {
    const w = this.waiters[0];
    if (w !== undefined) this.giveUp(w);
  }

  /** The first create cannot get space (spilling failed): it fails now with the error `error` makes for it. */
  failFirst(error: (objectId: string, size: number) => Error): void {
    const w = this.waiters.shift();
    if (w === undefined) return;
    w.brief?.timer.cancel();
    this.stopTimers();
    w.reject(error(w.objectId, w.size));
  }

  /** A client disconnected: its creates stop waiting (nobody is left to answer). */
  clientGone(client: unknown): void {
    for (const w of [...this.waiters]) {
      if (w.client === client) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.brief?.timer.cancel();
      }
    }
    this.stopTimers();
  }

  /** The store is closing: every waiter fails with `error`. */
  close(error: Error): void {
    this.pressureTimer?.cancel();
    this.pressureTimer = undefined;
    this.stallTimer?.cancel();
    this.stallTimer = undefined;
    for (const w of this.waiters.splice(0)) {
      w.brief?.timer.cancel();
      w.reject(error);
    }
  }

  private add(waiter: Waiter): void {
    this.waiters.push(waiter);
    if (this.stallTimer === undefined) this.armStall();
    // A brief waiter waits for spilling only: no process need collect garbage for it (a
    // full collection in every process per put of a loop would cost more than the spill).
    if (waiter.brief === undefined) this.startPressure();
    this.deps.makeRoom();
  }

  private giveUp(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    waiter.brief?.timer.cancel();
    waiter.resolve(-1);
    // Those behind it may fit now.
    this.serve();
  }

  private armStall(): void {
    this.stallTimer = this.deps.clock.setTimeout(() => {
      this.stallTimer = undefined;
      this.stalled();
    }, this.deps.fullTimeoutMs);
  }

  /** No room was made for fullTimeoutMs: waiters fail in order until one fits (a smaller one may). */
  private stalled(): void {
    const why = `no space was freed within ${this.deps.fullTimeoutMs} ms`;
    while (this.waiters.length > 0 && this.stallTimer === undefined) {
      this.failFirst((objectId, size) => this.deps.fullError(objectId, size, why));
      this.serve(); // serving one re-arms the stall timer, which ends the loop
    }
  }

  private startPressure(): void {
    if (this.pressureTimer !== undefined) return;
    this.deps.onPressure?.();
    this.schedulePressure();
  }

  private schedulePressure(): void {
    this.pressureTimer = this.deps.clock.setTimeout(() => {
      this.pressureTimer = undefined;
      if (this.waiters.length === 0) return;
      this.schedulePressure();
      this.deps.onPressure?.();
      this.deps.makeRoom();
    }, this.deps.pressureIntervalMs);
  }

  private stopTimers(): void {
    if (this.waiters.length > 0) return;
    this.pressureTimer?.cancel();
    this.pressureTimer = undefined;
    this.stallTimer?.cancel();
    this.stallTimer = undefined;
  }
}
