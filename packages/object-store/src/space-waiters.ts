import type { Clock, TimerHandle } from "@lux/protocol";
import type { Allocator } from "./allocator.js";

interface Waiter {
  objectId: string;
  size: number;
  client: unknown;
  resolve(offset: number): void;
  reject(e: Error): void;
  timer: TimerHandle;
}

export interface SpaceWaitersDeps {
  allocator: Allocator;
  clock: Clock;
  /** How long a create may wait for space before it fails with `fullError`. */
  fullTimeoutMs: number;
  /** While creates wait, how often processes are asked to collect garbage. */
  pressureIntervalMs: number;
  /** Asked to make processes collect garbage: dropped refs then free their objects. */
  onPressure: (() => void) | undefined;
  /** Frees arena space (spilling, evicting) for the first waiter. */
  makeRoom: () => void;
  /** What a create that waited `fullTimeoutMs` in vain fails with. */
  fullError: (objectId: string, size: number, why: string) => Error;
}

/**
 * Creates waiting for arena space, served in arrival order as frees, releases and spills
 * make room. While any waits, processes are asked in rounds to collect garbage: views and
 * refs they dropped only release their objects once collected.
 */
export class SpaceWaiters {
  private readonly waiters: Waiter[] = [];
  private pressureTimer: TimerHandle | undefined;

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
    return new Promise((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        this.stopPressure();
        reject(this.deps.fullError(objectId, size, `no space was freed within ${this.deps.fullTimeoutMs} ms`));
      }, this.deps.fullTimeoutMs);
      const waiter: Waiter = { objectId, size, client, resolve, reject, timer };
      this.waiters.push(waiter);
      this.startPressure();
      this.deps.makeRoom();
    });
  }

  /** Gives space to the waiters it now fits, in order. */
  serve(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0] as Waiter;
      const offset = this.deps.allocator.allocate(w.size);
      if (offset < 0) return; // makeRoom and the pressure timer keep working on it
      this.waiters.shift();
      w.timer.cancel();
      w.resolve(offset);
    }
    this.stopPressure();
  }

  /** The first create cannot get space (spilling failed): it fails now with the error `error` makes for it. */
  failFirst(error: (objectId: string, size: number) => Error): void {
    const w = this.waiters.shift();
    if (w === undefined) return;
    w.timer.cancel();
    this.stopPressure();
    w.reject(error(w.objectId, w.size));
  }

  /** A client disconnected: its creates stop waiting (nobody is left to answer). */
  clientGone(client: unknown): void {
    for (const w of [...this.waiters]) {
      if (w.client === client) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.timer.cancel();
      }
    }
  }

  /** The store is closing: every waiter fails with `error`. */
  close(error: Error): void {
    this.pressureTimer?.cancel();
    this.pressureTimer = undefined;
    for (const w of this.waiters.splice(0)) {
      w.timer.cancel();
      w.reject(error);
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

  private stopPressure(): void {
    if (this.waiters.length > 0 || this.pressureTimer === undefined) return;
    this.pressureTimer.cancel();
    this.pressureTimer = undefined;
  }
}
