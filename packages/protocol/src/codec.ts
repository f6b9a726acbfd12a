/** Message encoding for the RPC layer (not user values: those arrive as opaque bytes). */
import { Packr, RESERVE_START_SPACE, RESET_BUFFER_MODE, REUSE_BUFFER_MODE } from "msgpackr";
import { FRAME_HEADER_BYTES } from "./frame.js";
import type { Transport } from "./transport.js";

/**
 * `structuredClone: false` refuses msgpackr's reference extensions on decode (Lux never
 * writes them): with them a peer could send a small frame whose objects are shared many
 * times over or form cycles, and a walk of it (a request's check) would take forever.
 */
const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint", structuredClone: false });

/**
 * msgpackr leaves room for the length prefix in front of the message, returns its output
 * buffer with the message's bounds in `start` and `end` instead of a new view, and writes
 * the next message at the same place (the transport copies each frame at once).
 */
const IN_PLACE_FRAME = REUSE_BUFFER_MODE | RESET_BUFFER_MODE | RESERVE_START_SPACE | FRAME_HEADER_BYTES;

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
 * Encodes `message` as one frame and queues it on `transport`, without a buffer of its own:
 * the frame, length prefix included, is written in msgpackr's output buffer, where the next
 * message goes too. One output buffer thus serves every message. By default msgpackr goes
 * on after each message, takes a new buffer every few kilobytes, and after a large message
 * takes one of about twice its size for every next large one, copying into it up to a
 * whole buffer of bytes it never wrote. Other Packrs' messages (core's, views of the same
 * shared buffer) stay intact: msgpackr goes back only to where this message started.
 */
export function writeMessage(transport: Transport, message: unknown): void {
  const out = packr.pack(message, IN_PLACE_FRAME) as PackedInPlace;
  out.writeUInt32BE(out.end - out.start - FRAME_HEADER_BYTES, out.start);
  transport.writeFrame(out, out.start, out.end);
}

/** Decodes the message in bytes [start, end) of `buffer`, without a view of its own. */
export function decodeFrame(buffer: Buffer, start: number, end: number): unknown {
  frameBounds.start = start;
  frameBounds.end = end;
  return packr.unpack(buffer, frameBounds);
}
