/**
 * Explicit lifecycle: whatever owns a socket, timer, child process or memory
 * segment implements Disposable. `close()` is idempotent and resolves when every
 * resource is released.
 */

export interface Disposable {
  /** Releases every resource; safe to call more than once. */
  close(): Promise<void>;
}

/** Whether `value` has a `close()` method. */
export function isDisposable(value: unknown): value is Disposable {
  return (
    typeof value === "object" && value !== null && typeof (value as { close?: unknown }).close === "function"
  );
}

/**
 * Closes every item, last first (reverse of creation), even if some fail. Rethrows a
 * single failure as is, several as an AggregateError.
 */
export async function closeAll(items: Iterable<Disposable | undefined>): Promise<void> {
  const list = [...items].reverse();
  const errors: unknown[] = [];
  for (const item of list) {
    if (item === undefined) continue;
    try {
      await item.close();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} resources failed to close`);
}
