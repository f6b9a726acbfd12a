/**
 * Waiting without time. A fake network delivers in microtasks and the code under test
 * answers in promise callbacks, so a turn of the event loop (setImmediate runs after
 * every microtask queued before it) lets a round of deliveries happen; no clock moves.
 */

/** Lets `turns` turns of the event loop run. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs turns of the event loop until `condition` holds; fails naming `what` if it still
 * does not after `turns` of them (something the test waits for did not happen).
 */
export async function eventually(condition: () => boolean, what = "the condition", turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!condition()) throw new Error(`eventually: ${what} did not hold after ${turns} turns of the event loop`);
}
