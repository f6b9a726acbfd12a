/**
 * Injectable time. Code that schedules, times out, heartbeats or retries takes a
 * Clock; production passes SystemClock, unit tests a FakeClock they advance by hand.
 */

/** A scheduled callback. */
export interface TimerHandle {
  /** Stops the callback from running; no effect if it ran or was cancelled already. */
  cancel(): void;
  /** Lets the process exit while the timer is pending (no effect on FakeClock). */
  unref(): this;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (may be fractional); never goes backwards. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (negative or NaN counts as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Longest delay Node's setTimeout accepts; longer ones are chained. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

/** When this process (thread) started, in epoch milliseconds; read once, it never changes. */
const TIME_ORIGIN = performance.timeOrigin;

/** The real clock: monotonic epoch milliseconds and Node timers. */
export class SystemClock implements Clock {
  now(): number {
    // Monotonic (unlike Date.now, which jumps when the wall clock is set), epoch-based.
    return TIME_ORIGIN + performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return new SystemTimer(fn, delay(ms));
  }
}

/**
 * A Node timer (a chain of them past Node's limit). A plain one adds only this handle to
 * Node's timer, no closure: RPC deadlines make one per call.
 */
class SystemTimer implements TimerHandle {
  private timer: NodeJS.Timeout;
  private unrefed = false;

  constructor(fn: () => void, ms: number) {
    this.timer = ms <= MAX_NODE_DELAY ? setTimeout(fn, ms) : this.chained(fn, ms);
  }

  /** Waits the longest Node allows, then the rest of `remaining`. */
  private chained(fn: () => void, remaining: number): NodeJS.Timeout {
    return setTimeout(() => {
      const rest = remaining - MAX_NODE_DELAY;
      this.timer = rest > MAX_NODE_DELAY ? this.chained(fn, rest) : setTimeout(fn, rest);
      if (this.unrefed) this.timer.unref();
    }, MAX_NODE_DELAY);
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  unref(): this {
    this.unrefed = true;
    this.timer.unref();
    return this;
  }
}

/** The shared SystemClock. */
export const systemClock: Clock = new SystemClock();

function delay(ms: number): number {
  return Number.isNaN(ms) || ms < 0 ? 0 : ms;
}

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advance(ms)` runs every timer due within the
 * next `ms`, in order of due time (ties in scheduling order), setting `now()` to
 * each timer's due time as it runs; timers scheduled meanwhile run too if due.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly heap: FakeTimer[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.time + delay(ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    const handle: TimerHandle = {
      cancel: () => {
        timer.cancelled = true;
      },
      unref: () => handle,
    };
    return handle;
  }

  /** Moves time forward by `ms`, running due timers. A throwing callback stops here and rethrows. */
  advance(ms: number): void {
    const end = this.time + delay(ms);
    for (let t = this.popDue(end); t !== undefined; t = this.popDue(end)) {
      this.time = t.at;
      t.fn();
    }
    this.time = end;
  }

  /**
   * Like advance, but lets promise callbacks and I/O callbacks run after each timer,
   * so async code that schedules its next timer after an await is driven too.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + delay(ms);
    await settle();
    for (let t = this.popDue(end); t !== undefined; t = this.popDue(end)) {
      this.time = t.at;
      t.fn();
      await settle();
    }
    this.time = end;
  }

  /** Runs timers until none are left (bounded to catch runaway rescheduling). */
  runAll(maxTimers = 10_000): void {
    for (let i = 0; i < maxTimers; i++) {
      const next = this.nextTimerAt();
      if (next === undefined) return;
      this.advance(next - this.time);
    }
    throw new Error(`FakeClock.runAll: still scheduling timers after ${maxTimers}; a timer reschedules itself forever`);
  }

  /** Number of timers not yet run or cancelled. */
  get pendingTimers(): number {
    let n = 0;
    for (const t of this.heap) if (!t.cancelled) n++;
    return n;
  }

  /** When the next timer is due, or undefined if none. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  private popDue(end: number): FakeTimer | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.at > end) return undefined;
    return this.pop();
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled === true) this.pop();
  }

  // Binary min-heap on (at, seq).
  private push(t: FakeTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as FakeTimer;
      if (!before(t, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = t;
  }

  private pop(): FakeTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const left = h[l] as FakeTimer;
      const right = h[r];
      const [c, child] = right !== undefined && before(right, left) ? [r, right] : [l, left];
      if (!before(child, last)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

function before(a: FakeTimer, b: FakeTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason if aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
