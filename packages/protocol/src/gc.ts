import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFn: (() => void) | undefined;
let last = 0;
let soon: NodeJS.Immediate | NodeJS.Timeout | undefined;

/** At most one collection asked for by collectGarbageSoon per this period. */
const SOON_SPACING_MS = 1000;

function gc(): void {
  if (gcFn === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing !== undefined) gcFn = existing;
    else {
      setFlagsFromString("--expose-gc");
      gcFn = runInNewContext("gc") as () => void;
    }
  }
  last = Date.now();
  gcFn();
}

/**
 * Runs a full garbage collection (at most every 100 ms). ObjectRefs a program dropped
 * only release their objects when collected; when the object store runs short of space
 * that must happen now, not whenever V8 next feels like it.
 */
export function collectGarbage(): void {
  if (Date.now() - last < 100) return;
  gc();
}

/**
 * Asks for a full collection after the current turn, at most one per second. A daemon
 * that dropped a large buffer (a peer's partial frame) gives its memory back to the system
 * now: an idle process may otherwise hold it until V8 next collects, which can be never.
 */
export function collectGarbageSoon(): void {
  if (soon !== undefined) return;
  const wait = last + SOON_SPACING_MS - Date.now();
  const run = (): void => {
    soon = undefined;
    gc();
  };
  soon = wait > 0 ? setTimeout(run, wait).unref() : setImmediate(run);
}
