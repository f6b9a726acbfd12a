import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFn: (() => void) | undefined;
let last = 0;

/**
 * Runs a full garbage collection (at most every 100 ms). ObjectRefs a program dropped
 * only release their objects when collected; when the object store runs short of space
 * that must happen now, not whenever V8 next feels like it.
 */
export function collectGarbage(): void {
  const now = Date.now();
  if (now - last < 100) return;
  last = now;
  if (gcFn === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing !== undefined) gcFn = existing;
    else {
      setFlagsFromString("--expose-gc");
      gcFn = runInNewContext("gc") as () => void;
    }
  }
  gcFn();
}
