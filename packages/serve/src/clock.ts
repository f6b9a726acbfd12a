/**
 * Time as serve's timers take it: the shape of Lux's `Clock` (so `FakeClock` from the tests'
 * packages drives them), with the real clock as default.
 */
export interface TimerHandle {
  cancel(): void;
  unref(): this;
}

export interface Clock {
  /** Milliseconds since the Unix epoch; never goes backwards. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

const ORIGIN = performance.timeOrigin;

/** The real clock: monotonic epoch milliseconds and Node timers. */
export const systemClock: Clock = {
  now: () => ORIGIN + performance.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    const handle: TimerHandle = {
      cancel: () => clearTimeout(timer),
      unref() {
        timer.unref();
        return handle;
      },
    };
    return handle;
  },
};

/** Resolves after `ms` on `clock` (a pause between retries; never to wait for a condition). */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
