/**
 * What ranks say on a link once its hello is answered: the connection stops being RPC
 * (RpcConnection.detach) and carries these frames, so an array's bytes go to the socket where
 * they lie and come out of it with one copy, and no message waits for a reply.
 *
 * A frame: u32 length of its meta, u32 length of its payload, u8 kind (little-endian), the
 * meta (JSON: which operation and step, which slot), then the payload (data bytes).
 */
import type { Transport } from "@lux/protocol";

export const FrameKind = {
  /** Step `step` of operation (`ch`, `seq`): the payload is its bytes. */
  data: 1,
  /** Step `step` of operation (`ch`, `seq`): `n` bytes in slot `slot` of the sender's shared memory. */
  shm: 2,
  /** The receiver is done with slot `slot` (sent back to the slot's owner). */
  free: 3,
  /** Operation (`ch`, `seq`) failed at the sender, for `reason`. */
  abort: 4,
  /** The receiver detached its end of the link: the sender may write (the receiver's first frame). */
  ready: 5,
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface FrameMeta {
  ch?: string;
  seq?: number;
  step?: string;
  slot?: number;
  n?: number;
  reason?: string;
}

const HEADER_BYTES = 9;
/** Payloads shorter than this are copied into the frame; longer ones are written where they lie. */
const INLINE_PAYLOAD_BYTES = 64 * 1024;
/** Bounds a peer's frames are held to (a chunk is at most a few MiB; metas are a few dozen bytes). */
const MAX_META_BYTES = 64 * 1024;
const MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024;

/** A peer broke the link's framing: the link is closed. */
export class LinkFramingError extends RangeError {
  override readonly name = "LinkFramingError";
}

/**
 * Writes one frame on `transport`; `written` is called once the payload may change again
 * (at once for a small one, which is copied; when the socket is done with a large one).
 */
export function writeLinkFrame(transport: Transport, kind: FrameKind, meta: FrameMeta, payload?: Uint8Array, written?: (error?: Error) => void): void {
  const metaText = JSON.stringify(meta);
  const metaBytes = Buffer.byteLength(metaText);
  const payloadBytes = payload?.byteLength ?? 0;
  const inline = payload !== undefined && payloadBytes < INLINE_PAYLOAD_BYTES;
  const head = Buffer.allocUnsafe(HEADER_BYTES + metaBytes + (inline ? payloadBytes : 0));
  head.writeUInt32LE(metaBytes, 0);
  head.writeUInt32LE(payloadBytes, 4);
  head.writeUInt8(kind, 8);
  head.write(metaText, HEADER_BYTES, "utf8");
  if (inline) head.set(payload, HEADER_BYTES + metaBytes);
  transport.writeFrame(head, 0, head.length);
  if (payload !== undefined && !inline) transport.writeRaw(payload, written);
  else written?.();
}

/** Bytes of payload buffers a pool keeps for reuse (a few chunks in flight). */
const POOLED_BYTES = 16 * 1024 * 1024;
/** A pool's buffers are allocated in multiples of this (so a buffer serves chunks of nearby sizes). */
const POOL_GRAIN_BYTES = 64 * 1024;

/**
 * Buffers for payloads that must lie in one piece, kept for reuse once given back: fresh
 * memory costs a page fault per page (on a VM, more than copying into it), and collections.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  /** A buffer of at least `length` bytes (its own length may be more). */
  take(length: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= length);
    if (i < 0) return Buffer.allocUnsafeSlow(Math.ceil(Math.max(1, length) / POOL_GRAIN_BYTES) * POOL_GRAIN_BYTES);
    const [buffer] = this.free.splice(i, 1) as [Buffer];
    this.freeBytes -= buffer.length;
    return buffer;
  }

  /** `buffer` (from take) is no longer used. */
  give(buffer: Buffer): void {
    if (this.freeBytes + buffer.length > POOLED_BYTES) return;
    this.free.push(buffer);
    this.freeBytes += buffer.length;
  }
}

/**
 * Reassembles frames from the chunks a link's socket delivers. A payload is handed on as the
 * views of the chunks it lies in (one, or several when it spans chunks), not copied: chunks
 * are never reused, and whoever receives it copies or reduces it from there. With `copyInto`
 * (a socket that reads into one reused buffer), a payload is copied as it comes into one
 * buffer of that pool instead, handed on with it (`owned`, for its receiver to give back).
 */
export class LinkDecoder {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private meta: Buffer | undefined;
  private metaFill = 0;
  private kind = 0;
  private parsed: FrameMeta | undefined;
  private pieces: Buffer[] = [];
  private payloadFill = 0;
  private payloadLength = 0;
  /** With copyInto: the pool's buffer the payload is copied into. */
  private owned: Buffer | undefined;

  constructor(
    private readonly onFrame: (kind: number, meta: FrameMeta, pieces: readonly Buffer[], owned: Buffer | undefined) => void,
    private readonly copyInto?: BufferPool,
  ) {}

  /** Feeds one chunk; throws LinkFramingError on a frame that breaks the bounds. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.headerFill < HEADER_BYTES) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === HEADER_BYTES) this.startFrame();
        else return;
      }
      if (this.parsed === undefined) {
        const meta = this.meta as Buffer;
        const take = Math.min(meta.length - this.metaFill, chunk.length - offset);
        chunk.copy(meta, this.metaFill, offset, offset + take);
        this.metaFill += take;
        offset += take;
        if (this.metaFill < meta.length) return;
        this.parsed = parseMeta(meta);
      }
      offset = this.takePayload(chunk, offset);
    }
  }

  private startFrame(): void {
    const metaLength = this.header.readUInt32LE(0);
    this.payloadLength = this.header.readUInt32LE(4);
    this.kind = this.header.readUInt8(8);
    if (metaLength > MAX_META_BYTES || this.payloadLength > MAX_PAYLOAD_BYTES) {
      throw new LinkFramingError(`a frame of ${metaLength} meta and ${this.payloadLength} payload bytes is out of bounds`);
    }
    this.meta = Buffer.allocUnsafe(metaLength);
    this.metaFill = 0;
    this.parsed = undefined;
    this.pieces = [];
    this.payloadFill = 0;
    this.owned = this.copyInto !== undefined && this.payloadLength > 0 ? this.copyInto.take(this.payloadLength) : undefined;
  }

  /** Takes what `chunk` holds of the payload from `offset`; hands the frame on when complete. Returns the new offset. */
  private takePayload(chunk: Buffer, offset: number): number {
    const take = Math.min(this.payloadLength - this.payloadFill, chunk.length - offset);
    const owned = this.owned;
    if (take > 0) {
      if (owned !== undefined) chunk.copy(owned, this.payloadFill, offset, offset + take);
      else this.pieces.push(chunk.subarray(offset, offset + take));
    }
    this.payloadFill += take;
    if (this.payloadFill < this.payloadLength) return offset + take;
    const meta = this.parsed as FrameMeta;
    const pieces = owned !== undefined ? [owned.subarray(0, this.payloadLength)] : this.pieces;
    this.headerFill = 0;
    this.parsed = undefined;
    this.pieces = [];
    this.owned = undefined;
    this.onFrame(this.kind, meta, pieces, owned);
    return offset + take;
  }
}

function parseMeta(bytes: Buffer): FrameMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new LinkFramingError("a frame's meta is not JSON");
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new LinkFramingError("a frame's meta is not an object");
  return meta as FrameMeta;
}
