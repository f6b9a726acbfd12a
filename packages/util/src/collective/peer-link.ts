/**
 * The two ends of a link between ranks once its hello is answered (link-frames.ts): the
 * sender's end writes data, shared-memory notices and aborts, and reads back which of its
 * slots are free again; the receiver's end reads the former and writes the latter.
 */
import type { ConnectionState, Transport } from "@lux/protocol";
import type { OpName, Payload } from "./mailbox.js";
import { BufferPool, FrameKind, LinkDecoder, LinkFramingError, writeLinkFrame, type FrameMeta } from "./link-frames.js";
import type { SlotFile, SlotReader } from "./slot-file.js";

/** What a link needs of its RPC connection. */
interface Connection {
  readonly state: ConnectionState;
  detach(onData: (chunk: Buffer) => void): Transport;
  close(destroy?: boolean): void;
}

/** What a receiving end hands its group. */
export interface LinkInbox {
  deliver(op: OpName, step: string, payload: Payload): void;
  abort(op: OpName, reason: string): void;
}

/** Reads a link's frames with `handle`; a frame that breaks the framing closes the link. */
function detach(conn: Connection, handle: (kind: number, meta: FrameMeta, pieces: readonly Buffer[]) => void): Transport {
  const decoder = new LinkDecoder(handle);
  let transient = false;
  const transport = conn.detach((chunk) => {
    if (conn.state === "closed") return;
    try {
      // Payloads are handed on as views of the chunks: a chunk the transport reads into again is copied.
      decoder.push(transient ? Buffer.from(chunk) : chunk);
    } catch {
      conn.close(true);
    }
  });
  transient = transport.transientChunks === true;
  return transport;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function opOf(meta: FrameMeta): OpName {
  if (typeof meta.ch !== "string" || !isInt(meta.seq)) throw new LinkFramingError("a frame names no operation");
  return { channel: meta.ch, seq: meta.seq };
}

function stepOf(meta: FrameMeta): string {
  if (typeof meta.step !== "string") throw new LinkFramingError("a frame names no step");
  return meta.step;
}

/** The sender's end: frees slots as the receiver says. */
export class OutboundLink {
  readonly transport: Transport;

  constructor(
    readonly conn: Connection,
    readonly slots: SlotFile | undefined,
  ) {
    this.transport = detach(conn, (kind, meta) => {
      if (kind !== FrameKind.free || slots === undefined || !isInt(meta.slot) || meta.slot >= slots.info.slots) throw new LinkFramingError(`unexpected frame ${kind}`);
      slots.release(meta.slot);
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

/** The receiver's end: what comes in goes to `inbox`; slots read are freed back to the sender. */
export function inboundLink(conn: Connection, reader: SlotReader | undefined, inbox: LinkInbox): void {
  const pool = new BufferPool();
  const transport = detach(conn, (kind, meta, pieces) => {
    const op = opOf(meta);
    if (kind === FrameKind.data) inbox.deliver(op, stepOf(meta), bytesPayload(pieces, pool));
    else if (kind === FrameKind.shm) inbox.deliver(op, stepOf(meta), slotPayload(transport, conn, reader, meta));
    else if (kind === FrameKind.abort) inbox.abort(op, typeof meta.reason === "string" ? meta.reason : "");
    else throw new LinkFramingError(`unexpected frame ${kind}`);
  });
}

/**
 * Bytes that came in a frame, as the views of the chunks they arrived in: copied from there
 * into the receiver's array, or reduced from there piece by piece, or, to be used in one
 * piece, copied into a buffer of `pool`'s.
 */
function bytesPayload(pieces: readonly Buffer[], pool: BufferPool): Payload {
  const byteLength = pieces.reduce((n, p) => n + p.length, 0);
  let whole: Buffer | undefined;
  return {
    byteLength,
    read: async (into) => {
      if (into === undefined && pieces.length <= 1) return pieces[0] ?? new Uint8Array(0);
      const target = into ?? (whole = pool.take(byteLength));
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
      whole = undefined;
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
