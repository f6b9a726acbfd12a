/** The receiving side of replies whose bytes travel raw (methods declared with `rpcBytes`). */
import type { TimerHandle } from "./clock.js";
import type { RawSink } from "./frame.js";
import { settle, type Pending, type PendingPromise } from "./pending-call.js";
import type { BytesReply, MethodName, ReplyOf, ServiceDef } from "./service.js";

/** The methods of `S` that reply raw bytes. */
export type BytesMethod<S extends ServiceDef> = {
  [M in MethodName<S>]: ReplyOf<S, M> extends BytesReply ? M : never;
}[MethodName<S>];

/** A `callInto` waiting for its reply: the bytes go to `sink` as they arrive. */
export interface PendingInto extends PendingPromise {
  sink: RawSink;
}

/**
 * The pending entry of a `callInto`. A peer that answered with an ordinary reply (its bytes
 * encoded in it) is served the same way: its `data` goes to the sink whole.
 */
export function pendingInto(sink: RawSink, resolve: () => void, reject: (error: Error) => void, timer: TimerHandle | undefined): PendingInto {
  const ordinary = (reply: unknown): void => {
    const data = (reply as Partial<BytesReply> | undefined)?.data;
    try {
      if (data instanceof Uint8Array) sink(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength);
      resolve();
    } catch (e) {
      reject(e as Error);
    }
  };
  return { resolve: ordinary, reject, timer, sink };
}

export function isBytesReply(value: unknown): value is BytesReply {
  return typeof value === "object" && value !== null && (value as { data?: unknown }).data instanceof Uint8Array;
}

const skip: RawSink = () => undefined;

/**
 * Where the `length` bytes of a reply go: to the sink of the `callInto` waiting for it, else
 * gathered into a buffer for its `data` (a call that no longer waits skips them). `live`
 * says whether the call still waits (it may time out while its bytes arrive).
 */
export function bytesReceiver(p: Pending | undefined, length: number, live: () => boolean): { sink: RawSink; settle(p: Pending): void } {
  if (p === undefined) return { sink: skip, settle: () => undefined };
  const into = typeof p === "function" ? undefined : (p as Partial<PendingInto>).sink;
  if (into !== undefined) {
    let failure: Error | undefined;
    return {
      sink: (buffer, start, end) => {
        if (failure !== undefined || !live()) return;
        try {
          into(buffer, start, end);
        } catch (e) {
          failure = e as Error; // the call fails; the connection reads on past the bytes
        }
      },
      settle: (q) => (failure !== undefined ? (q as PendingPromise).reject(failure) : (q as PendingPromise).resolve(undefined)),
    };
  }
  const data = Buffer.allocUnsafe(length);
  let at = 0;
  return {
    sink: (buffer, start, end) => {
      buffer.copy(data, at, start, end);
      at += end - start;
    },
    settle: (q) => settle(q, undefined, { data }),
  };
}
