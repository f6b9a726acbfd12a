/**
 * The keys and frames of an object transfer channel (bulk-channel.ts). Keys: exported from
 * the TLS session of the connection the channel belongs to, one label per direction. Frames: [header: body length, request
 * id, kind (u32 each, big-endian)][body][16-byte AES-128-GCM tag]. The header is
 * authenticated (AAD) and a frame's nonce is its sequence number in its direction, which
 * both ends count and never send: a frame altered, forged, replayed, reordered or dropped
 * fails its tag, or the next frame's.
 */
import { LuxError } from "@lux/common";
import type { Transport } from "@lux/protocol";
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, type AesGcm } from "@lux/object-store";

const KEY_BYTES = 16;
/** Labels of the keys (RFC 8446 exporters), one per direction. */
export const PULLER_LABEL = "EXPORTER-lux-object-transfer-puller-to-source";
const SOURCE_LABEL = "EXPORTER-lux-object-transfer-source-to-puller";

/** What a channel needs of the TLS connection it belongs to. */
export interface TlsLink {
  readonly transport: Transport;
  readonly state: string;
  onClose(listener: () => void): void;
}

/** The two keys of channel `id` on TLS connection `conn`; undefined if it has no TLS. */
export function channelKeys(conn: TlsLink, id: Buffer): { puller: Buffer; source: Buffer } | undefined {
  const exportKeys = conn.transport.exportKeyingMaterial?.bind(conn.transport);
  const puller = exportKeys?.(KEY_BYTES, PULLER_LABEL, id);
  const source = exportKeys?.(KEY_BYTES, SOURCE_LABEL, id);
  return puller === undefined || source === undefined ? undefined : { puller, source };
}



/** Bytes of a frame's header: body length, request id, kind (u32 each, big-endian). */
export const HEADER_BYTES = 12;
/** Frame kinds. */
export const Kind = { hello: 0, read: 1, data: 2, error: 3 } as const;
/** Seals frames in order under one key: the nonce is the frame's sequence number. */
export class FrameSealer {
  private seq = 0n;
  private readonly nonce = Buffer.alloc(GCM_NONCE_BYTES);

  constructor(private readonly gcm: AesGcm) {}

  /** Bytes a frame of `bodyBytes` takes. */
  static size(bodyBytes: number): number {
    return HEADER_BYTES + bodyBytes + GCM_TAG_BYTES;
  }

  /** Seals a frame of `body` into `out` (at least size(body) bytes); returns its length. */
  seal(id: number, kind: number, body: Uint8Array, out: Buffer): number {
    out.writeUInt32BE(body.byteLength, 0);
    out.writeUInt32BE(id, 4);
    out.writeUInt32BE(kind, 8);
    this.nonce.writeBigUInt64BE(this.seq++, 4);
    this.gcm.start(this.nonce, out.subarray(0, HEADER_BYTES));
    const end = HEADER_BYTES + body.byteLength;
    if (body.byteLength > 0) this.gcm.update(body, out.subarray(HEADER_BYTES, end));
    this.gcm.finish(out.subarray(end, end + GCM_TAG_BYTES));
    return end + GCM_TAG_BYTES;
  }
}

/** Where a frame's body goes as it arrives: `piece` holds its bytes from `at` on, still encrypted (decrypt with `gcm`; `piece` may be overwritten). */
export interface FrameTarget {
  write(piece: Uint8Array, at: number, gcm: AesGcm): void;
  /** The frame ended: `authentic` whether its tag verified. */
  end(authentic: boolean): void;
}

/**
 * Opens frames from a byte stream under one key, in order: each header is handed to
 * `target` (which refuses it by throwing), the body decrypted piece by piece as it comes,
 * the tag checked at the end.
 */
export class FrameOpener {
  private seq = 0n;
  private readonly nonce = Buffer.alloc(GCM_NONCE_BYTES);
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private readonly tag = Buffer.alloc(GCM_TAG_BYTES);
  private headerFill = 0;
  private tagFill = 0;
  private bodyLeft = -1;
  private bodyAt = 0;
  private current: FrameTarget | undefined;

  constructor(
    private readonly gcm: AesGcm,
    private readonly target: (id: number, kind: number, length: number) => FrameTarget,
  ) {}

  /** Feeds bytes; throws LuxError when a frame is refused or fails its tag. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === undefined) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < HEADER_BYTES) return;
        this.headerFill = 0;
        const length = this.header.readUInt32BE(0);
        this.nonce.writeBigUInt64BE(this.seq++, 4);
        this.current = this.target(this.header.readUInt32BE(4), this.header.readUInt32BE(8), length);
        this.gcm.start(this.nonce, this.header);
        this.bodyLeft = length;
        this.bodyAt = 0;
        continue;
      }
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - offset);
        this.current.write(chunk.subarray(offset, offset + n), this.bodyAt, this.gcm);
        this.bodyAt += n;
        this.bodyLeft -= n;
        offset += n;
        continue;
      }
      const take = Math.min(GCM_TAG_BYTES - this.tagFill, chunk.length - offset);
      this.tag.set(chunk.subarray(offset, offset + take), this.tagFill);
      this.tagFill += take;
      offset += take;
      if (this.tagFill < GCM_TAG_BYTES) return;
      this.tagFill = 0;
      const target = this.current;
      this.current = undefined;
      const authentic = this.gcm.finish(this.tag);
      target.end(authentic);
      if (!authentic) throw new LuxError("a frame failed its authentication tag (altered, forged, replayed or out of order)");
    }
  }
}

/** A target that gathers a small body, decrypted. */
export function gather(length: number, done: (body: Buffer | undefined) => void): FrameTarget {
  const body = Buffer.allocUnsafe(length);
  return {
    write: (piece, at, gcm) => gcm.update(piece, body.subarray(at, at + piece.length)),
    end: (authentic) => done(authentic ? body : undefined),
  };
}


/** Frame buffers of the sending side, reused once the socket wrote them (fresh memory costs more than the encryption). */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS = 8;

export function frameBuffer(bytes: number): Buffer {
  const i = spareBuffers.findIndex((b) => b.length >= bytes);
  if (i >= 0) return spareBuffers.splice(i, 1)[0] as Buffer;
  return Buffer.allocUnsafeSlow(Math.ceil(bytes / (64 * 1024)) * 64 * 1024);
}

export function giveBack(buffer: Buffer): void {
  if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(buffer);
}

