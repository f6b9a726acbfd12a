/**
 * The frames of a link between ranks (link-frames.ts): what one end writes, the other reads
 * back whatever way the socket cuts the stream; payloads come as views of the chunks, not
 * copies; a frame out of bounds or with a broken meta is refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Transport } from "@lux/protocol";
import { FrameKind, LinkDecoder, LinkFramingError, writeLinkFrame, type FrameMeta } from "../src/collective/link-frames.js";

/** A transport that keeps what is written, in order; `written` callbacks run at once. */
function capture(): { transport: Transport; bytes: () => Buffer; large: Uint8Array[] } {
  const parts: Buffer[] = [];
  const large: Uint8Array[] = [];
  const transport = {
    writeFrame: (buffer: Buffer, start: number, end: number) => void parts.push(Buffer.from(buffer.subarray(start, end))),
    writeRaw: (bytes: Uint8Array, written?: (error?: Error) => void) => {
      large.push(bytes);
      parts.push(Buffer.from(bytes));
      written?.();
    },
  } as unknown as Transport;
  return { transport, bytes: () => Buffer.concat(parts), large };
}

interface Got {
  kind: number;
  meta: FrameMeta;
  payload: Buffer;
}

function decode(stream: Buffer, cuts: number[]): Got[] {
  const got: Got[] = [];
  const d = new LinkDecoder((kind, meta, pieces) => got.push({ kind, meta, payload: Buffer.concat(pieces) }));
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    d.push(stream.subarray(at, cut));
    at = cut;
  }
  return got;
}

test("frames read back as written, the stream cut at any point; large payloads are written where they lie", () => {
  const { transport, bytes, large } = capture();
  const big = new Uint8Array(100_000).map((_, i) => i % 251);
  const small = Uint8Array.of(1, 2, 3);
  let done = 0;
  writeLinkFrame(transport, FrameKind.data, { ch: "c", seq: 3, step: "a.0" }, big, () => done++);
  writeLinkFrame(transport, FrameKind.shm, { ch: "c", seq: 3, step: "a.1", slot: 2, n: 8 });
  writeLinkFrame(transport, FrameKind.data, { ch: "p0>1", seq: 0, step: "h" }, small, () => done++);
  writeLinkFrame(transport, FrameKind.free, { slot: 2 });
  assert.equal(done, 2);
  assert.deepEqual(large, [big], "only the large payload is handed over as it is");
  const stream = bytes();
  const expected = [
    { kind: FrameKind.data, meta: { ch: "c", seq: 3, step: "a.0" }, payload: Buffer.from(big) },
    { kind: FrameKind.shm, meta: { ch: "c", seq: 3, step: "a.1", slot: 2, n: 8 }, payload: Buffer.alloc(0) },
    { kind: FrameKind.data, meta: { ch: "p0>1", seq: 0, step: "h" }, payload: Buffer.from(small) },
    { kind: FrameKind.free, meta: { slot: 2 }, payload: Buffer.alloc(0) },
  ];
  for (let cut = 0; cut <= stream.length; cut += cut < 200 || cut > stream.length - 200 ? 1 : 997) {
    assert.deepEqual(decode(stream, [cut]), expected, `cut at ${cut}`);
  }
  const everyByte = Array.from({ length: 300 }, (_, i) => i + 1);
  assert.deepEqual(decode(stream, everyByte), expected, "one byte at a time, then the rest");
});

test("a payload that lies in one chunk is handed on as a view of it", () => {
  const { transport, bytes } = capture();
  writeLinkFrame(transport, FrameKind.data, { ch: "c", seq: 0, step: "x" }, new Uint8Array(70_000).fill(7));
  const chunk = bytes();
  let views: readonly Buffer[] = [];
  new LinkDecoder((_, __, pieces) => (views = pieces)).push(chunk);
  assert.equal(views.length, 1);
  assert.equal(views[0]?.buffer, chunk.buffer);
});

test("a frame out of bounds, or whose meta is not a JSON object, is refused", () => {
  const header = (meta: number, payload: number): Buffer => {
    const b = Buffer.alloc(9);
    b.writeUInt32LE(meta, 0);
    b.writeUInt32LE(payload, 4);
    b.writeUInt8(FrameKind.data, 8);
    return b;
  };
  const decoder = (): LinkDecoder => new LinkDecoder(() => undefined);
  assert.throws(() => decoder().push(header(1 << 20, 0)), LinkFramingError);
  assert.throws(() => decoder().push(header(0, 2 ** 31)), LinkFramingError);
  assert.throws(() => decoder().push(Buffer.concat([header(3, 0), Buffer.from("[1]")])), LinkFramingError);
  assert.throws(() => decoder().push(Buffer.concat([header(3, 0), Buffer.from("{x:")])), LinkFramingError);
});
