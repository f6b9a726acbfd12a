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

/**
 * Reassembles frames from arbitrary chunks. A frame that lies whole in one chunk is
 * handed on in place, as its bounds in that chunk; a frame split across chunks is
 * copied once, into one buffer of its size allocated when its length is known.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;

  constructor(
    private maxFrameBytes: number,
    /**
     * Gets each payload as bytes [start, end) of `buffer`: the chunk it arrived in, or the
     * buffer it was reassembled in. The decoder never writes to either afterwards, so the
     * decoded message may keep views of them.
     */
    private readonly onFrame: (buffer: Buffer, start: number, end: number) => void,
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
            offset = start + length;
            this.onFrame(chunk, start, offset);
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
        this.onFrame(frame, 0, frame.length);
      }
    }
  }

  private check(length: number): void {
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
  }
}
