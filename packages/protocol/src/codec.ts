/** Message encoding for the RPC layer (not user values: those arrive as opaque bytes). */
import { Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE } from "msgpackr";
import { FRAME_HEADER_BYTES, ZERO_COPY_FRAME_BYTES } from "./frame.js";
import type { Transport } from "./transport.js";

const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint" });

/**
 * msgpackr leaves room for the length prefix in front of the message, and returns its
 * output buffer with the message's bounds in `start` and `end` instead of a new view.
 */
const IN_PLACE_FRAME = REUSE_BUFFER_MODE | RESERVE_START_SPACE | FRAME_HEADER_BYTES;

/** What `pack` returns with REUSE_BUFFER_MODE. */
type PackedInPlace = Buffer & { start: number; end: number };

/** Bounds for `unpack`, one object reused for every frame (`unpack` reads them at once). */
const frameBounds = { start: 0, end: 0 };

export function encodeMessage(message: unknown): Buffer {
  return packr.pack(message);
}

export function decodeMessage(bytes: Buffer): unknown {
  return packr.unpack(bytes);
}

/**
 * Encodes `message` as one frame and queues it on `transport`. The frame, length prefix
 * included, is written where msgpackr's output buffer has room, and no buffer is made for it.
 */
export function writeMessage(transport: Transport, message: unknown): void {
  const before = packr.position;
  const out = packr.pack(message, IN_PLACE_FRAME) as PackedInPlace;
  const start = out.start;
  const end = out.end;
  out.writeUInt32BE(end - start - FRAME_HEADER_BYTES, start);
  transport.writeFrame(out, start, end);
  // The transport has copied a small frame, so msgpackr may write the next message over it
  // (RESET_BUFFER_MODE, but decided once the size is known): one output buffer serves all
  // small messages instead of a new one every few kilobytes. A large frame is kept as it is
  // until written; msgpackr goes on after it, as it does for every message by default.
  // msgpackr's position is module state: rewind only if it is still the end of this frame,
  // and not merely back at `before` (a pack nested in another Packr's pack, say from an
  // extension, writes into a buffer of its own and restores the outer one's position).
  if (end - start < ZERO_COPY_FRAME_BYTES && packr.position === end && before !== end) packr.position = start;
}

/** Decodes the message in bytes [start, end) of `buffer`, without a view of its own. */
export function decodeFrame(buffer: Buffer, start: number, end: number): unknown {
  frameBounds.start = start;
  frameBounds.end = end;
  return packr.unpack(buffer, frameBounds);
}
