/** Calls waiting for their replies, as a connection keeps them. */
import type { TimerHandle } from "./clock.js";

/** A `call` waiting for its reply. */
export interface PendingPromise {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: TimerHandle | undefined;
}

export type Done = (error: Error | undefined, reply: unknown) => void;

/** A call waiting for its reply: a promise to settle, or (`callback`, no object per call) the function. */
export type Pending = PendingPromise | Done;

export function settle(p: Pending, error: Error | undefined, value: unknown): void {
  if (typeof p !== "function") {
    if (error !== undefined) p.reject(error);
    else p.resolve(value);
    return;
  }
  try {
    p(error, value);
  } catch (e) {
    // A bug in the callback, not bad input from the peer: surface it, keep the connection.
    queueMicrotask(() => {
      throw e;
    });
  }
}
