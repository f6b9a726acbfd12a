/**
 * Issue 15 point 6: `lux.util.Queue`, an actor-backed FIFO queue (Ray's ray.util.queue.Queue):
 * put/get with block and timeoutMs, the nowait forms and batches (all or nothing), size,
 * empty, full, shutdown; QueueFullError/QueueEmptyError; passed to tasks and actors; each item
 * delivered exactly once with several producers and consumers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { Queue as QueueFromSubpath } from "lux/util";
import { QueueReaderActor, consume, makeRefItem, produce } from "./fixtures/util-defs.js";

/** Far above normal: a deadlock fails the test instead of stalling it. */
const DEADLINE = { timeoutMs: 60_000 };

before(async () => {
  await lux.init({ numCpus: 4 });
});

after(async () => {
  await lux.shutdown();
});

describe("in one process", () => {
  test("put and get in FIFO order; size, empty and full follow", async () => {
    const q = new lux.util.Queue<string>({ maxsize: 2 });
    assert.equal(await q.empty(), true);
    await q.put("a");
    await q.put("b");
    assert.equal(await q.size(), 2);
    assert.equal(await q.full(), true);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(await q.empty(), true);
    assert.equal(await q.full(), false);
    await q.shutdown();
  });

  test("a non-blocking miss and a timed-out wait throw QueueFullError / QueueEmptyError, and leave the queue as it was", async () => {
    const q = new lux.util.Queue<number>({ maxsize: 1 });
    await assert.rejects(q.getNowait(), lux.QueueEmptyError);
    await assert.rejects(q.get({ block: false }), (e: unknown) => e instanceof lux.QueueEmptyError && e instanceof lux.LuxError && !("timeoutMs" in e));
    const started = Date.now();
    await assert.rejects(q.get({ timeoutMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof lux.QueueEmptyError);
      assert.equal(e.code, "LUX_QUEUE_EMPTY");
      assert.match(e.message, /the queue is empty after waiting 200 ms/);
      return true;
    });
    assert.ok(Date.now() - started >= 190, "get waited for its timeout");
    await q.putNowait(1);
    await assert.rejects(q.putNowait(2), (e: unknown) => e instanceof lux.QueueFullError && /maxsize 1/.test(e.message));
    await assert.rejects(q.put(3, { block: false }), lux.QueueFullError);
    await assert.rejects(q.put(4, { timeoutMs: 100 }), (e: unknown) => e instanceof lux.QueueFullError && e.timeoutMs === 100);
    // None of the failed puts went in; the timed-out get took nothing.
    assert.equal(await q.size(), 1);
    assert.equal(await q.get(), 1);
    await q.shutdown();
  });

  test("a blocked get takes the next item put; a blocked put goes in once a get makes room", async () => {
    const q = new lux.util.Queue<string>({ maxsize: 1 });
    const waiting = q.get(DEADLINE);
    await q.put("handed over");
    assert.equal(await waiting, "handed over");
    await q.put("first");
    const blocked = q.put("second", DEADLINE);
    assert.equal(await q.get(), "first");
    await blocked;
    assert.equal(await q.get(), "second");
    await q.shutdown();
  });

  test("batches are all or nothing", async () => {
    const q = new lux.util.Queue<number>({ maxsize: 3 });
    await q.putNowaitBatch([1, 2]);
    await assert.rejects(q.putNowaitBatch([3, 4]), (e: unknown) => e instanceof lux.QueueFullError && /batch of 2 items/.test(e.message));
    assert.equal(await q.size(), 2, "no item of the refused batch went in");
    await assert.rejects(q.getNowaitBatch(3), (e: unknown) => e instanceof lux.QueueEmptyError && /fewer than the 3 items/.test(e.message));
    assert.equal(await q.size(), 2, "the refused batch took nothing");
    assert.deepEqual(await q.getNowaitBatch(2), [1, 2]);
    assert.deepEqual(await q.getNowaitBatch(0), []);
    await q.shutdown();
  });

  test("bad options throw at the call site, naming the option", async () => {
    assert.throws(() => new lux.util.Queue({ maxsize: -1 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "maxsize");
    assert.throws(() => new lux.util.Queue({ maxsize: 1.5 }), lux.InvalidOptionError);
    const q = new lux.util.Queue<number>();
    await assert.rejects(q.put(1, { timeoutMs: -5 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "timeoutMs");
    await assert.rejects(q.get({ block: "yes" as never }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "block");
    await q.shutdown();
  });

  test("an ObjectRef put in the queue comes out as that ObjectRef", async () => {
    const q = new lux.util.Queue<lux.ObjectRef<string>>();
    const ref = lux.put("kept as a ref");
    await q.put(ref);
    await q.put(await lux.get(makeRefItem.remote("made in a task")));
    const [first, second] = [await q.get(), await q.get()];
    assert.ok(first instanceof lux.ObjectRef && second instanceof lux.ObjectRef);
    assert.equal(first.id, ref.id);
    assert.deepEqual(await lux.get([first, second]), ["kept as a ref", "made in a task"]);
    await q.shutdown();
  });

  test("after shutdown, calls fail with ActorDiedError, a waiting get too", async () => {
    const q = new lux.util.Queue<number>();
    const waiting = q.get();
    await q.put(1); // the waiting get takes it
    assert.equal(await waiting, 1);
    const stillWaiting = q.get();
    await q.shutdown();
    await assert.rejects(stillWaiting, lux.ActorDiedError);
    await assert.rejects(q.put(2), lux.ActorDiedError);
  });

  test("lux/util exports the same Queue as lux.util", () => {
    assert.equal(QueueFromSubpath, lux.util.Queue);
  });
});

describe("across processes", () => {
  test("passed to an actor, the queue arrives as a working Queue on the same actor", async () => {
    const q = new lux.util.Queue<string>();
    const reader = QueueReaderActor.remote(q);
    assert.equal(await lux.get(reader.isQueue.remote(), DEADLINE), true);
    const taken = reader.take.remote();
    await q.put("from the driver");
    assert.equal(await lux.get(taken, DEADLINE), "from the driver");
    await q.shutdown();
  });

  test("several producers and consumers in tasks: every item is delivered exactly once", async () => {
    const q = new lux.util.Queue<number>({ maxsize: 20 });
    const producers = 3;
    const perProducer = 200;
    const consumers = [0, 1, 2].map(() => consume.remote(q));
    const produced = Array.from({ length: producers }, (_, p) => produce.remote(q, p * perProducer, perProducer));
    assert.deepEqual(await lux.get(produced, DEADLINE), [perProducer, perProducer, perProducer]);
    for (let i = 0; i < consumers.length; i++) await q.put(-1, DEADLINE);
    const taken = (await lux.get(consumers, DEADLINE)).flat();
    assert.equal(taken.length, producers * perProducer, "no item lost, none delivered twice");
    assert.deepEqual(
      [...taken].sort((a, b) => a - b),
      Array.from({ length: producers * perProducer }, (_, i) => i),
    );
    assert.equal(await q.empty(), true);
    await q.shutdown();
  });
});
