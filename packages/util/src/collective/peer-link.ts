/**
 * The two ends of a link between ranks once its hello is answered (link-frames.ts). The
 * receiver dialled the link and reads it through one reused buffer (no fresh memory per read);
 * it writes `ready` once detached, then which of the sender's slots are free again. The
 * sender's end (the one that accepted) writes data, shared-memory notices and aborts, once
 * the receiver is ready.
 */
import type { ConnectionState, Transport } from "@lux/protocol";
import type { OpName, Payload } from "./mailbox.js";
import { BufferPool, FrameKind, LinkDecoder, LinkFramingError, writeLinkFrame, type FrameMeta } from "./link-frames.js";
import type { SlotFile, SlotReader } from "./slot-file.js";

/** What a link needs of its RPC connection. */
interface Connection {
  readonly state: ConnectionState;
  detach(onData: (chunk: Buffer) => void): Transport;
  onClose(listener: (error?: Error) => void): void;
  close(destroy?: boolean): void;
}

/** What a receiving end hands its group. */
export interface LinkInbox {
  deliver(op: OpName, step: string, payload: Payload): void;
  abort(op: OpName, reason: string): void;
}

/** Reads a link's frames with `handle`; a frame that breaks the framing closes the link. */
function detach(conn: Connection, handle: (kind: number, meta: FrameMeta, pieces: readonly Buffer[], owned: Buffer | undefined) => void): Transport {
  let decoder: LinkDecoder | undefined;
  const transport = conn.detach((chunk) => {
    if (conn.state === "closed") return;
    try {
      (decoder as LinkDecoder).push(chunk);
    } catch {
      conn.close(true);
    }
  });
  // Payloads are handed on as views of the chunks, unless the transport reads into them
  // again: then each is copied into a pooled buffer as it comes.
  decoder = new LinkDecoder(handle, transport.transientChunks === true ? payloadPool : undefined);
  return transport;
}

/** The buffers payloads read through a reused buffer are copied into (the process's links share them). */
const payloadPool = new BufferPool();

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function opOf(meta: FrameMeta): OpName {
  if (typeof meta.ch !== "string" || !isInt(meta.seq)) throw new LinkFramingError("a frame names no operation");
  return { channel: meta.ch, seq: meta.seq };
}

function stepOf(meta: FrameMeta): string {
  if (typeof meta.step !== "string") throw new LinkFramingError("a frame names no step");
  return meta.step;
}

/** The sender's end: writes once the receiver is ready; frees slots as the receiver says. */
export class OutboundLink {
  readonly transport: Transport;
  /** Resolves once the receiver said it is ready (rejects if the link closes first). */
  readonly ready: Promise<void>;

  constructor(
    readonly conn: Connection,
    readonly slots: SlotFile | undefined,
  ) {
    let isReady: () => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      isReady = resolve;
      conn.onClose(() => reject(new LinkFramingError("the link closed before its receiver was ready")));
    });
    this.ready.catch(() => undefined); // awaited by senders, if any
    this.transport = detach(conn, (kind, meta) => {
      if (kind === FrameKind.ready) isReady();
      else if (kind === FrameKind.free && slots !== undefined && isInt(meta.slot) && meta.slot < slots.info.slots) slots.release(meta.slot);
      else throw new LinkFramingError(`unexpected frame ${kind}`);
    });
  }

  /** Whether the link is gone (its connection closed). */
  get closed(): boolean {
    return this.conn.state === "closed";
  }

  /** Sends `bytes` in a frame; resolves once they may change again. */
  data(op: OpName, step: string, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      writeLinkFrame(this.transport, FrameKind.data, { ch: op.channel, seq: op.seq, step }, bytes, (error) => (error === undefined ? resolve() : reject(error)));
    });
  }

  /** Tells the receiver that `n` bytes of step `step` lie in `slot` (it frees the slot when done). */
  shm(op: OpName, step: string, slot: number, n: number): void {
    writeLinkFrame(this.transport, FrameKind.shm, { ch: op.channel, seq: op.seq, step, slot, n });
  }

  abort(op: OpName, reason: string): void {
    if (this.conn.state !== "closed") writeLinkFrame(this.transport, FrameKind.abort, { ch: op.channel, seq: op.seq, reason });
  }
}

/**
 * The receiver's end, once its hello is answered: what comes in goes to `inbox`; slots read
 * are freed back to the sender. Tells the sender it may write.
 */
export function inboundLink(conn: Connection, reader: SlotReader | undefined, inbox: LinkInbox): void {
  const pool = new BufferPool();
  const transport = detach(conn, (kind, meta, pieces, owned) => {
    const op = opOf(meta);
    if (kind === FrameKind.data) inbox.deliver(op, stepOf(meta), bytesPayload(pieces, pool, owned));
    else if (kind === FrameKind.shm) inbox.deliver(op, stepOf(meta), slotPayload(transport, conn, reader, meta));
    else if (kind === FrameKind.abort) inbox.abort(op, typeof meta.reason === "string" ? meta.reason : "");
    else throw new LinkFramingError(`unexpected frame ${kind}`);
  });
  writeLinkFrame(transport, FrameKind.ready, {});
}

/**
 * Bytes that came in a frame, as the views of the chunks they arrived in (or in one buffer of
 * the payload pool's, `owned`): copied from there into the receiver's array, or reduced from
 * there piece by piece, or, to be used in one piece, copied into a buffer of `pool`'s.
 */
function bytesPayload(pieces: readonly Buffer[], pool: BufferPool, owned: Buffer | undefined): Payload {
  const byteLength = pieces.reduce((n, p) => n + p.length, 0);
  let whole: Buffer | undefined;
  let held = owned;
  return {
    byteLength,
    read: async (into) => {
      if (into === undefined && pieces.length <= 1) return pieces[0] ?? new Uint8Array(0);
      const target = into ?? (whole = pool.take(byteLength)).subarray(0, byteLength);
      let at = 0;
      for (const piece of pieces) {
        target.set(piece, at);
        at += piece.length;
      }
      return target;
    },
    pieces: async () => pieces,
    release: () => {
      if (whole !== undefined) pool.give(whole);
      if (held !== undefined) payloadPool.give(held);
      whole = held = undefined;
    },
  };
}

function slotPayload(transport: Transport, conn: Connection, reader: SlotReader | undefined, meta: FrameMeta): Payload {
  const { slot, n } = meta;
  if (reader === undefined) throw new LinkFramingError("the sender used shared memory it did not offer");
  if (!isInt(slot) || !isInt(n)) throw new LinkFramingError("a shared-memory frame names no slot");
  return {
    byteLength: n,
    read: (into) => reader.read(slot, n, into),
    pieces: async () => [await reader.read(slot, n)],
    release: () => {
      if (conn.state !== "closed") writeLinkFrame(transport, FrameKind.free, { slot });
    },
  };
}
