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
  if (payload !== undefined && !inline) transport.writeBytes(payload, written ?? (() => undefined));
  else written?.();
}

/** Payload buffers kept for reuse (a few chunks' worth: the chunks of one step in flight). */
const POOLED_BUFFERS = 8;

/**
 * Reassembles frames from the chunks a link's socket delivers. A payload that lies whole in
 * one chunk is handed on as a view of it (chunks are never reused); one split across chunks
 * is copied into a buffer of its own, taken from a small pool when one of its size is there
 * (given back with recycle()): fresh memory costs a page fault per page and collections.
 */
export class LinkDecoder {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private meta: Buffer | undefined;
  private metaFill = 0;
  private kind = 0;
  private parsed: FrameMeta | undefined;
  private payload: Buffer | undefined;
  private payloadFill = 0;
  private payloadLength = 0;
  private readonly pool: Buffer[] = [];

  constructor(
    /** Gets each frame; `own` tells whether the payload is a buffer of the decoder's (see recycle) or a view of a chunk. */
    private readonly onFrame: (kind: number, meta: FrameMeta, payload: Buffer | undefined, own: boolean) => void,
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

  /** Gives back a payload buffer handed on by this decoder (not a view of a chunk), once nothing uses it. */
  recycle(payload: Buffer): void {
    if (this.pool.length < POOLED_BUFFERS && payload.byteOffset === 0 && payload.buffer.byteLength === payload.length) this.pool.push(payload);
  }

  private allocate(length: number): Buffer {
    const i = this.pool.findIndex((b) => b.length === length);
    if (i < 0) return Buffer.allocUnsafeSlow(length);
    const [buffer] = this.pool.splice(i, 1);
    return buffer as Buffer;
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
    this.payload = undefined;
    this.payloadFill = 0;
  }

  /** Takes what `chunk` holds of the payload from `offset`; hands the frame on when complete. Returns the new offset. */
  private takePayload(chunk: Buffer, offset: number): number {
    const length = this.payloadLength;
    let payload: Buffer | undefined;
    let own = false;
    if (length === 0) {
      payload = undefined;
    } else if (this.payload === undefined && chunk.length - offset >= length) {
      payload = chunk.subarray(offset, offset + length);
      offset += length;
    } else {
      this.payload ??= this.allocate(length);
      const take = Math.min(length - this.payloadFill, chunk.length - offset);
      chunk.copy(this.payload, this.payloadFill, offset, offset + take);
      this.payloadFill += take;
      offset += take;
      if (this.payloadFill < length) return offset;
      payload = this.payload;
      own = true;
    }
    const meta = this.parsed as FrameMeta;
    this.headerFill = 0;
    this.parsed = undefined;
    this.payload = undefined;
    this.onFrame(this.kind, meta, payload, own);
    return offset;
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
