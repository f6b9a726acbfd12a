import assert from "node:assert/strict";
import { test } from "node:test";
import { Packr, addExtension } from "msgpackr";
import { decodeFrame, encodeMessage, writeMessage } from "../src/codec.js";
import { FRAME_HEADER_BYTES, FrameDecoder, FrameTooLargeError } from "../src/frame.js";
import type { Transport } from "../src/transport.js";

interface Frame {
  buffer: Buffer;
  start: number;
  end: number;
}

function framed(...payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of payloads) {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(p.length);
    parts.push(header, p);
  }
  return Buffer.concat(parts);
}

function decoder(limit = 1 << 20): { frames: Frame[]; decoder: FrameDecoder } {
  const frames: Frame[] = [];
  return { frames, decoder: new FrameDecoder(limit, (buffer, start, end) => frames.push({ buffer, start, end })) };
}

const bytesOf = (f: Frame): Buffer => f.buffer.subarray(f.start, f.end);

test("FrameDecoder: many frames in one chunk are handed on in place, as bounds in that chunk", () => {
  const payloads = [Buffer.from("a"), Buffer.alloc(0), Buffer.from("hello"), Buffer.alloc(300, 7)];
  const chunk = framed(...payloads);
  const { frames, decoder: d } = decoder();
  d.push(chunk);
  assert.equal(frames.length, payloads.length);
  frames.forEach((f, i) => {
    assert.equal(f.buffer, chunk, "no view or copy per frame");
    assert.deepEqual(bytesOf(f), payloads[i]);
  });
});

test("FrameDecoder: a stream split at every possible point gives the same frames", () => {
  const payloads = [Buffer.from("first"), Buffer.alloc(40, 1), Buffer.from("x"), Buffer.alloc(9, 2)];
  const stream = framed(...payloads);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 3) {
      const { frames, decoder: d } = decoder();
      d.push(stream.subarray(0, a));
      d.push(stream.subarray(a, b));
      d.push(stream.subarray(b));
      assert.deepEqual(frames.map(bytesOf), payloads, `split at ${a} and ${b}`);
    }
  }
  const { frames, decoder: d } = decoder();
  for (let i = 0; i < stream.length; i++) d.push(stream.subarray(i, i + 1));
  assert.deepEqual(frames.map(bytesOf), payloads, "one byte at a time");
});

test("FrameDecoder: a frame spanning chunks is reassembled into a buffer of its own", () => {
  const payload = Buffer.alloc(1000, 5);
  const stream = framed(payload, Buffer.from("next"));
  const { frames, decoder: d } = decoder();
  const first = stream.subarray(0, 600);
  d.push(first);
  d.push(stream.subarray(600));
  assert.equal(frames.length, 2);
  const [whole, next] = frames as [Frame, Frame];
  assert.deepEqual([whole.start, whole.end], [0, payload.length]);
  // Its own buffer, not a view of the chunks (which may share Node's pool with it).
  first.fill(0);
  assert.deepEqual(bytesOf(whole), payload);
  assert.deepEqual(bytesOf(next), Buffer.from("next"));
});

test("FrameDecoder: divert hands on every byte after the frame it is called in, the rest of that chunk first", () => {
  const stream = Buffer.concat([framed(Buffer.from("one"), Buffer.from("two")), Buffer.from("raw bytes")]);
  for (let split = 0; split <= stream.length; split++) {
    const frames: string[] = [];
    const raw: Buffer[] = [];
    const d: FrameDecoder = new FrameDecoder(1 << 20, (buffer, start, end) => {
      frames.push(buffer.subarray(start, end).toString());
      if (frames.length === 2) d.divert((chunk) => raw.push(Buffer.from(chunk)));
    });
    d.push(stream.subarray(0, split));
    d.push(stream.subarray(split));
    assert.deepEqual(frames, ["one", "two"], `split at ${split}`);
    assert.equal(Buffer.concat(raw).toString(), "raw bytes", `split at ${split}`);
  }
});

test("FrameDecoder: an oversized length prefix throws before anything is allocated for it", () => {
  const { frames, decoder: d } = decoder(100);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(101);
  assert.throws(() => d.push(header), FrameTooLargeError);
  const split = decoder(100);
  split.decoder.push(header.subarray(0, 2));
  assert.throws(() => split.decoder.push(header.subarray(2)), FrameTooLargeError);
  assert.equal(frames.length + split.frames.length, 0);
});

/** Copies each frame, as a transport must; `places` records where each one lay. */
function capturingTransport(): { transport: Transport; frames: Buffer[]; places: { buffer: Buffer; start: number }[] } {
  const frames: Buffer[] = [];
  const places: { buffer: Buffer; start: number }[] = [];
  const transport: Transport = {
    remoteLabel: "capture",
    localHost: undefined,
    writeFrame(buffer, start, end) {
      places.push({ buffer, start });
      frames.push(Buffer.from(buffer.subarray(start, end)));
    },
    writeRaw() {},
    close() {},
    onData() {},
    onClose() {},
    setRef() {},
  };
  return { transport, frames, places };
}

test("writeMessage: frames carry a length prefix and decode to the message", () => {
  const { transport, frames } = capturingTransport();
  const messages = [
    [0, 1, "pushTask", { taskId: "ab".repeat(14), args: Buffer.from([1, 2, 3]) }],
    { ok: true },
    [3, 0, "x", null],
  ];
  for (const m of messages) writeMessage(transport, m);
  const { frames: decoded, decoder: d } = decoder();
  d.push(Buffer.concat(frames));
  assert.deepEqual(
    decoded.map((f) => decodeFrame(f.buffer, f.start, f.end)),
    messages,
  );
  // The body is what encodeMessage (msgpackr's default) writes: the wire format is unchanged.
  assert.deepEqual(bytesOf(decoded[0] as Frame), encodeMessage(messages[0]));
});

test("writeMessage: one output buffer serves every message, large ones too; other Packrs' messages stay intact", () => {
  const { transport, frames, places } = capturingTransport();
  const large = (i: number): unknown => ({ data: Buffer.alloc(200_000, i), id: i });
  const small = (i: number): unknown => [0, i, "method", { i, pad: "z".repeat(i % 500) }];
  const sent: unknown[] = [];
  // msgpackr's output buffer is shared by every Packr in the process (core's too, whose
  // messages are views of it): mix in another's messages, and check they stay intact.
  const other = new Packr();
  const others: { bytes: Buffer; copy: Buffer }[] = [];
  for (let i = 0; i < 2000; i++) {
    if (i % 7 === 0) {
      const bytes = other.pack({ other: i, pad: "y".repeat(i % 300) });
      others.push({ bytes, copy: Buffer.from(bytes) });
    }
    const m = i % 500 === 0 ? large(i) : small(i);
    writeMessage(transport, m);
    sent.push(m);
  }
  for (const o of others) assert.deepEqual(o.bytes, o.copy, "another Packr's message is intact");
  const { frames: decoded, decoder: d } = decoder(1 << 22);
  d.push(Buffer.concat(frames));
  assert.deepEqual(
    decoded.map((f) => decodeFrame(f.buffer, f.start, f.end)),
    sent,
  );
  // After the first large message, msgpackr's buffer is big enough for all: it stays.
  assert.equal(new Set(places.slice(1).map((p) => p.buffer)).size, 1);
});

test("writeMessage: consecutive frames are written at the same place", () => {
  const { transport, places } = capturingTransport();
  for (let i = 0; i < 100; i++) writeMessage(transport, [1, i, 0, { returns: [{ objectId: "cd".repeat(16) }] }]);
  assert.equal(new Set(places.map((p) => p.buffer)).size, 1, "one output buffer");
  assert.equal(new Set(places.map((p) => p.start)).size, 1, "one place");
});

test("writeMessage: a message sent while another Packr is packing (from an extension) leaves both intact", () => {
  const { transport, frames } = capturingTransport();
  class SendsWhilePacked {
    constructor(readonly n: number) {}
  }
  addExtension({
    Class: SendsWhilePacked,
    type: 77,
    write: (v: SendsWhilePacked) => {
      writeMessage(transport, [3, 0, "nested", { n: v.n, pad: "n".repeat(v.n) }]);
      return v.n;
    },
    read: (n: number) => new SendsWhilePacked(n),
  });
  const other = new Packr();
  const outer: { bytes: Buffer; value: unknown }[] = [];
  for (let i = 0; i < 300; i++) {
    writeMessage(transport, [0, i, "before", { i }]);
    const value = { i, pad: "o".repeat(i), inner: new SendsWhilePacked(i), after: "a".repeat(i % 50) };
    outer.push({ bytes: other.pack(value), value });
    writeMessage(transport, [0, i, "after", { i }]);
  }
  for (const o of outer) assert.deepEqual(other.unpack(o.bytes), o.value);
  const { frames: decoded, decoder: d } = decoder();
  d.push(Buffer.concat(frames));
  const methods = decoded.map((f) => (decodeFrame(f.buffer, f.start, f.end) as unknown[])[2]);
  assert.deepEqual(methods, Array.from({ length: 300 }, () => ["before", "nested", "after"]).flat());
});

test("decodeFrame: binary values are views of the received bytes, not copies", () => {
  const body = encodeMessage([1, 7, 0, { value: Buffer.from([1, 2, 3]) }]);
  const chunk = framed(Buffer.from(encodeMessage({ before: true })), body);
  const { frames, decoder: d } = decoder();
  d.push(chunk);
  const f = frames[1] as Frame;
  const message = decodeFrame(f.buffer, f.start, f.end) as [number, number, number, { value: Buffer }];
  assert.deepEqual([...message[3].value], [1, 2, 3]);
  assert.equal(message[3].value.buffer, chunk.buffer);
});

test("FrameDecoder: raw payloads announced by frames skip framing, split at every possible point", () => {
  // Frame "raw:N" announces N raw bytes behind it.
  const raw = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (seed + i) & 0xff));
  const payloads = [raw(7, 1), raw(0, 0), raw(300, 2)];
  const stream = Buffer.concat([framed(Buffer.from("raw:7")), payloads[0] as Buffer, framed(Buffer.from("raw:0"), Buffer.from("x")), framed(Buffer.from("raw:300")), payloads[2] as Buffer, framed(Buffer.from("end"))]);
  const run = (cuts: number[]): { frames: string[]; raws: Buffer[] } => {
    const frames: string[] = [];
    const raws: Buffer[] = [];
    let parts: Buffer[] = [];
    const d: FrameDecoder = new FrameDecoder(1 << 20, (buffer, start, end) => {
      const text = buffer.subarray(start, end).toString();
      frames.push(text);
      if (text.startsWith("raw:")) {
        parts = [];
        d.expectRaw(
          Number(text.slice(4)),
          (b, s, e) => void parts.push(Buffer.from(b.subarray(s, e))),
          () => void raws.push(Buffer.concat(parts)),
        );
      }
    });
    let at = 0;
    for (const cut of [...cuts, stream.length]) {
      d.push(stream.subarray(at, cut));
      at = cut;
    }
    return { frames, raws };
  };
  for (let a = 0; a <= stream.length; a += 5) {
    for (let b = a; b <= stream.length; b += 13) {
      const { frames, raws } = run([a, b]);
      assert.deepEqual(frames, ["raw:7", "raw:0", "x", "raw:300", "end"], `split at ${a} and ${b}`);
      assert.deepEqual(raws, payloads, `split at ${a} and ${b}`);
    }
  }
});

test("FrameDecoder: with copyFrames, a frame whole in its chunk is handed on as a copy (the chunk is read into again)", () => {
  const chunk = framed(Buffer.from("one"), Buffer.from("two"));
  const frames: Frame[] = [];
  const d = new FrameDecoder(1 << 20, (buffer, start, end) => frames.push({ buffer, start, end }), undefined, true);
  d.push(chunk);
  chunk.fill(0);
  assert.deepEqual(frames.map((f) => bytesOf(f).toString()), ["one", "two"]);
});
