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
 * Frames up to this size get their whole buffer once their length is known. A longer frame
 * starts with a buffer of this size that grows (4× at a time) as its bytes arrive: a peer
 * that announces a large frame and sends little of it costs little, and a large frame that
 * does arrive is copied about 1.3 times instead of once.
 */
export const FRAME_UP_FRONT_BYTES = 1024 * 1024;
const GROWTH = 4;

/**
 * Gets the bytes of a raw payload as they arrive: bytes [start, end) of `buffer`, valid only
 * during the call (the transport may read its next bytes into the same buffer).
 */
export type RawSink = (buffer: Buffer, start: number, end: number) => void;

/**
 * Reassembles frames from arbitrary chunks. A frame that lies whole in one chunk is
 * handed on in place, as its bounds in that chunk (or as a copy, with `copyFrames`: the
 * transport reads into one reused buffer); a frame split across chunks is copied into a
 * buffer of its own (see FRAME_UP_FRONT_BYTES). A frame may announce a raw payload behind
 * it (`expectRaw`): those bytes are no frame, and go to their sink as they arrive.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** The frame being reassembled: `length` bytes announced, `fill` of them in `body` so far. */
  private body: Buffer | undefined;
  private length = 0;
  private fill = 0;
  /** Bytes of a raw payload still to come, where they go, and what runs after its last. */
  private rawLeft = 0;
  private rawSink: RawSink | undefined;
  private rawDone: (() => void) | undefined;
  /** Where the stream's bytes go once it is no longer made of frames (see divert). */
  private diverted: ((chunk: Buffer) => void) | undefined;

  constructor(
    private maxFrameBytes: number,
    /**
     * Gets each payload as bytes [start, end) of `buffer`: the chunk it arrived in, or the
     * buffer it was reassembled in. The decoder never writes to either afterwards, so the
     * decoded message may keep views of them.
     */
    private readonly onFrame: (buffer: Buffer, start: number, end: number) => void,
    private readonly upFrontBytes = FRAME_UP_FRONT_BYTES,
    /** Chunks are views of a buffer the transport reads into again: a frame is copied out of its chunk before it is handed on. */
    private readonly copyFrames = false,
  ) {}

  /**
   * The next `length` bytes of the stream (behind the frame being handed on: call this from
   * `onFrame`) are a raw payload: they go to `sink`, a slice at a time, then `done` runs.
   */
  expectRaw(length: number, sink: RawSink, done: () => void): void {
    if (length === 0) {
      done();
      return;
    }
    this.rawLeft = length;
    this.rawSink = sink;
    this.rawDone = done;
  }

  /** Changes the largest accepted frame (e.g. raised once the peer has authenticated). */
  setLimit(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for a frame not complete yet. */
  get bufferedBytes(): number {
    return this.body?.length ?? 0;
  }

  /** Drops a partial frame (the peer is gone: it will never be completed); returns its buffer's size. */
  release(): number {
    const dropped = this.bufferedBytes;
    this.body = undefined;
    this.headerFill = 0;
    this.rawLeft = 0;
    this.rawSink = this.rawDone = undefined;
    return dropped;
  }

  /**
   * From the end of the frame being handed on (or now, between frames), the stream's bytes
   * are no longer frames: they go to `listener` as they come, the rest of the current chunk
   * first. For a peer that stops speaking frames at an agreed point (RpcConnection.detach).
   */
  divert(listener: (chunk: Buffer) => void): void {
    this.diverted = listener;
  }

  /** Feeds one chunk; throws FrameTooLargeError on an oversized length prefix. */
  push(chunk: Buffer): void {
    if (this.diverted !== undefined) {
      this.diverted(chunk);
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.rawLeft > 0) {
        offset = this.pushRaw(chunk, offset);
        continue;
      }
      if (this.body === undefined) {
        // Fast path: a whole frame inside this chunk needs no copy.
        if (this.headerFill === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
          const length = chunk.readUInt32BE(offset);
          this.check(length);
          if (chunk.length - offset - FRAME_HEADER_BYTES >= length) {
            const start = offset + FRAME_HEADER_BYTES;
            offset = start + length;
            if (this.copyFrames) this.onFrame(Buffer.from(chunk.subarray(start, offset)), 0, length);
            else this.onFrame(chunk, start, offset);
            if (this.isDiverted()) break;
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
        this.body = Buffer.allocUnsafe(Math.min(length, this.upFrontBytes));
        this.length = length;
        this.fill = 0;
      }
      if (this.fill === this.body.length) this.grow(this.body);
      const body = this.body as Buffer;
      const take = Math.min(body.length - this.fill, chunk.length - offset);
      chunk.copy(body, this.fill, offset, offset + take);
      this.fill += take;
      offset += take;
      if (this.fill === this.length) {
        this.body = undefined;
        this.onFrame(body, 0, body.length);
        if (this.isDiverted()) break;
      }
    }
    if (offset < chunk.length && this.isDiverted()) this.push(chunk.subarray(offset));
  }

  /** Whether divert() was called (a method: the frame handler may call it in the middle of push). */
  private isDiverted(): boolean {
    return this.diverted !== undefined;
  }

  /** Hands the raw payload's bytes in `chunk` from `offset` on to its sink; returns where they end. */
  private pushRaw(chunk: Buffer, offset: number): number {
    const end = Math.min(chunk.length, offset + this.rawLeft);
    this.rawLeft -= end - offset;
    (this.rawSink as RawSink)(chunk, offset, end);
    if (this.rawLeft === 0) {
      const done = this.rawDone as () => void;
      this.rawSink = this.rawDone = undefined;
      done();
    }
    return end;
  }

  private grow(body: Buffer): void {
    const larger = Buffer.allocUnsafe(Math.min(this.length, body.length * GROWTH));
    body.copy(larger, 0, 0, this.fill);
    this.body = larger;
  }

  private check(length: number): void {
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
  }
}
