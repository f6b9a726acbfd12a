/**
 * Holds the process open while something a user awaits is pending. A driver's connections
 * keep it alive only while a call is in flight, and its timers not at all, so that it exits
 * when its script is done; but a `lux.get` may wait with no call in flight (an owner waiting
 * for a lost object's node to be declared dead), and must not let the process exit under it.
 */
export class KeepAlive {
  private holds = 0;
  /** A ref'd timer that never fires: a hold on the event loop, not a timer (hence no Clock). */
  private handle: NodeJS.Timeout | undefined;

  hold(): void {
    if (this.holds++ === 0) this.handle = setInterval(noop, MAX_DELAY_MS);
  }

  release(): void {
    if (--this.holds > 0) return;
    this.holds = 0;
    clearInterval(this.handle);
    this.handle = undefined;
  }
}

const MAX_DELAY_MS = 2 ** 31 - 1;

function noop(): void {}
