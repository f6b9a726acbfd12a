/**
 * Errors of `lux.util.Queue` (declared here with the others, so they cross the wire and
 * come back as their class): a put that finds no room, a get that finds no item.
 */
import { defineError } from "@lux/protocol";

/** What a queue's miss is about: how long the caller waited, how many items it needed at once. */
interface QueueMiss {
  /** The wait that ran out (undefined: the call did not wait, e.g. putNowait). */
  readonly timeoutMs?: number;
  /** A batch's size, when the call was for several items at once (all or nothing). */
  readonly items?: number;
}

function waited(f: QueueMiss): string {
  return f.timeoutMs !== undefined ? ` after waiting ${f.timeoutMs} ms` : "";
}

/** `Queue.put` without blocking, or past its `timeoutMs`, found the queue full. */
export const QueueFullError = defineError(
  "LUX_QUEUE_FULL",
  "QueueFullError",
  (f: QueueMiss & { readonly maxsize: number }) =>
    (f.items !== undefined
      ? `the queue (maxsize ${f.maxsize}) has no room for a batch of ${f.items} items${waited(f)}; nothing was put`
      : `the queue is full (maxsize ${f.maxsize})${waited(f)}; the item was not put`) +
    ". Take items out with get(), create the queue with a larger maxsize (0: unbounded), or put with block: true to wait for room.",
);
export type QueueFullError = InstanceType<typeof QueueFullError>;

/** `Queue.get` without blocking, or past its `timeoutMs`, found no item (or fewer than a batch needs). */
export const QueueEmptyError = defineError("LUX_QUEUE_EMPTY", "QueueEmptyError", (f: QueueMiss) =>
  (f.items !== undefined
    ? `the queue holds fewer than the ${f.items} items asked for${waited(f)}; nothing was taken`
    : `the queue is empty${waited(f)}`) +
  ". Put items in first, or get with block: true (and a timeoutMs long enough) to wait for them.",
);
export type QueueEmptyError = InstanceType<typeof QueueEmptyError>;
