/** Length-prefixed framing: a 4-byte big-endian payload length, then the payload. */

export const FRAME_HEADER_BYTES = 4;

export class FrameTooLargeError extends Error {
  override readonly name = "FrameTooLargeError";
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`frame of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(length, 0);
  return header;
}

/**
 * Reassembles frames from arbitrary chunks. A frame's body is copied at most once:
 * when its length is known, one buffer of that size is allocated and filled.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;

  constructor(
    private maxFrameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  /** Changes the largest accepted frame (e.g. raised once the peer has authenticated). */
  setLimit(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Feeds one chunk; throws FrameTooLargeError on an oversized length prefix. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body === undefined) {
        // Fast path: a whole frame inside this chunk needs no copy.
        if (this.headerFill === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
          const length = chunk.readUInt32BE(offset);
          this.check(length);
          if (chunk.length - offset - FRAME_HEADER_BYTES >= length) {
            const start = offset + FRAME_HEADER_BYTES;
            this.onFrame(chunk.subarray(start, start + length));
            offset = start + length;
            continue;
          }
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < FRAME_HEADER_BYTES) return;
        const length = this.header.readUInt32BE(0);
        this.check(length);
        this.headerFill = 0;
        this.body = Buffer.allocUnsafe(length);
        this.bodyFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - offset);
      chunk.copy(this.body, this.bodyFill, offset, offset + take);
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === this.body.length) {
        const frame = this.body;
        this.body = undefined;
        this.onFrame(frame);
      }
    }
  }

  private check(length: number): void {
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
  }
}
