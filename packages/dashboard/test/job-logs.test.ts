/** A job's output in the KV: the supervisor's LogSink (chunks, the cap, failed writes) and its readers (readLogs, tailLogs). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@lux/common";
import { logChunkKey, logMetaKey } from "../src/jobs/job-keys.js";
import { readLogs, tailLogs } from "../src/jobs/job-logs.js";
import { LogSink } from "../src/jobs/log-sink.js";
import { FakeKv } from "./fake-kv.js";

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("LogSink", () => {
  it("sends output every flushMs, one write at a time, and all of it on close", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const sink = new LogSink("j", kv, { flushMs: 100, maxBytes: 1 << 20 }, clock);
    sink.write(Buffer.from("one\n"));
    sink.write(Buffer.from("two\n"));
    await settle();
    assert.equal(kv.writes, 0, "nothing before flushMs");
    await clock.advanceAsync(100);
    assert.equal(kv.text(logChunkKey("j", 0)), "one\ntwo\n");
    assert.deepEqual(JSON.parse(kv.text(logMetaKey("j")) as string), { first: 0, next: 1, keptBytes: 8, droppedBytes: 0 });
    sink.write(Buffer.from("three\n"));
    await sink.close();
    assert.equal(await readLogs(kv, "j"), "one\ntwo\nthree\n");
  });

  it("keeps at most maxBytes, dropping the oldest chunks, and says so", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const sink = new LogSink("j", kv, { flushMs: 10, maxBytes: 10, chunkBytes: 4 }, clock);
    sink.write(Buffer.from("aaaabbbbccccdd"));
    await sink.close();
    const meta = JSON.parse(kv.text(logMetaKey("j")) as string) as { first: number; next: number; droppedBytes: number };
    assert.deepEqual(meta, { first: 1, next: 4, keptBytes: 10, droppedBytes: 4 });
    assert.equal(kv.entries.has(logChunkKey("j", 0)), false);
    assert.equal(await readLogs(kv, "j"), "[… 4 bytes of earlier output were dropped: a job keeps its last jobLogMaxBytes]\nbbbbccccdd");
  });

  it("keeps output whose write failed and sends it, in order, once the KV takes writes again", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const sink = new LogSink("j", kv, { flushMs: 10, maxBytes: 1 << 20, onError: (e) => errors.push(e) }, clock);
    kv.failWrites = true;
    sink.write(Buffer.from("first\n"));
    await clock.advanceAsync(10);
    assert.equal(errors.length, 1);
    sink.write(Buffer.from("second\n"));
    kv.failWrites = false;
    await clock.advanceAsync(10);
    assert.equal(await readLogs(kv, "j"), "first\nsecond\n");
  });

  it("asks the writer to pause above its high-water mark, and calls back once drained", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const sink = new LogSink("j", kv, { flushMs: 10, maxBytes: 1 << 20, highWaterBytes: 8 }, clock);
    assert.equal(sink.write(Buffer.from("1234")), true);
    assert.equal(sink.write(Buffer.from("5678")), false);
    let drained = false;
    sink.onDrain(() => (drained = true));
    await clock.advanceAsync(10);
    assert.equal(drained, true);
  });
});

describe("tailLogs", () => {
  it("gives the output from the start as it comes, and ends once the job has ended and all was given", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const sink = new LogSink("j", kv, { flushMs: 10, maxBytes: 1 << 20 }, clock);
    let ended = false;
    const tail = tailLogs(kv, "j", { ended: async () => ended, pollMs: 50, clock, signal: new AbortController().signal });
    sink.write(Buffer.from("é"));
    sink.write(Buffer.from([0xc3])); // the first byte of "é": the rest comes in the next chunk
    await clock.advanceAsync(10);
    const first = await tail.next();
    assert.deepEqual(first, { value: "é", done: false });
    sink.write(Buffer.from([0xa9, 0x0a]));
    await sink.close();
    ended = true;
    const pending = tail.next();
    await clock.advanceAsync(50);
    assert.deepEqual(await pending, { value: "é\n", done: false });
    assert.deepEqual(await tail.next(), { value: undefined, done: true });
  });

  it("stops when its signal is aborted (the client went away)", async () => {
    const kv = new FakeKv();
    const clock = new FakeClock();
    const abort = new AbortController();
    const tail = tailLogs(kv, "j", { ended: async () => false, pollMs: 50, clock, signal: abort.signal });
    const next = tail.next();
    await settle();
    abort.abort();
    assert.deepEqual(await next, { value: undefined, done: true });
  });
});
