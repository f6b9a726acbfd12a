/** The items and waiting calls of a lux.util.Queue's actor, with a fake clock: FIFO, exactly once, timeouts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@lux/protocol";
import { QueueState, type Taken } from "../src/queue-state.js";

const item = <T>(taken: Taken<T>): T => {
  assert.ok(taken.ok, "expected an item");
  return taken.item;
};

describe("QueueState", () => {
  it("keeps items in FIFO order; size, empty and full follow maxsize", () => {
    const q = new QueueState<number>(2, new FakeClock());
    assert.equal(q.empty(), true);
    assert.equal(q.putNowait(1), true);
    assert.equal(q.putNowait(2), true);
    assert.equal(q.full(), true);
    assert.equal(q.putNowait(3), false, "full: refused");
    assert.equal(q.size(), 2);
    assert.equal(item(q.getNowait()), 1);
    assert.equal(item(q.getNowait()), 2);
    assert.deepEqual(q.getNowait(), { ok: false });
    assert.equal(new QueueState<number>(0, new FakeClock()).full(), false, "maxsize 0: never full");
  });

  it("batches are all or nothing", () => {
    const q = new QueueState<number>(3, new FakeClock());
    assert.equal(q.putNowaitBatch([1, 2]), true);
    assert.equal(q.putNowaitBatch([3, 4]), false);
    assert.equal(q.size(), 2, "nothing of the refused batch");
    assert.deepEqual(q.getNowaitBatch(3), { ok: false });
    assert.equal(q.size(), 2, "nothing taken by the refused batch");
    assert.deepEqual(q.getNowaitBatch(2), { ok: true, item: [1, 2] });
  });

  it("a waiting get takes the next item put, oldest getter first; a timed-out one takes nothing", async () => {
    const clock = new FakeClock();
    const q = new QueueState<string>(0, clock);
    const expiring = q.get(100);
    const first = q.get(undefined);
    const second = q.get(1000);
    clock.advance(100);
    assert.deepEqual(await expiring, { ok: false });
    q.putNowait("a");
    q.putNowait("b");
    q.putNowait("c");
    assert.equal(item(await first), "a");
    assert.equal(item(await second), "b");
    assert.equal(q.size(), 1, "the expired getter took nothing: c stays");
    assert.equal(clock.pendingTimers, 0, "no timer left behind");
  });

  it("a waiting put goes in when a get makes room, oldest first; a timed-out one leaves nothing", async () => {
    const clock = new FakeClock();
    const q = new QueueState<number>(1, clock);
    assert.equal(q.put(1, undefined), true);
    assert.equal(q.put(9, 0), false, "timeout 0: no wait");
    const expiring = q.put(2, 50);
    const waiting = q.put(3, undefined);
    clock.advance(50);
    assert.equal(await expiring, false);
    assert.equal(item(q.getNowait()), 1);
    assert.equal(await waiting, true);
    assert.equal(item(q.getNowait()), 3, "2 timed out: never put");
    assert.equal(q.empty(), true);
    assert.equal(clock.pendingTimers, 0);
  });

  it("get with timeout 0 does not wait; a batch get admits waiting puts", async () => {
    const q = new QueueState<number>(2, new FakeClock());
    assert.deepEqual(q.get(0), { ok: false });
    q.putNowaitBatch([1, 2]);
    const waiting = [q.put(3, undefined), q.put(4, undefined)];
    assert.deepEqual(q.getNowaitBatch(2), { ok: true, item: [1, 2] });
    assert.deepEqual(await Promise.all(waiting), [true, true]);
    assert.deepEqual(q.getNowaitBatch(2), { ok: true, item: [3, 4] });
  });

  it("many producers and consumers interleaved: every item delivered exactly once", async () => {
    const clock = new FakeClock();
    const q = new QueueState<number>(3, clock);
    const takes: Promise<Taken<number>>[] = [];
    const puts: (Promise<boolean> | boolean)[] = [];
    for (let i = 0; i < 300; i++) {
      puts.push(q.put(i, undefined));
      if (i % 3 === 0) takes.push(Promise.resolve(q.get(i % 2 === 0 ? 10 : undefined)));
    }
    clock.advance(10);
    for (let taken = q.getNowait(); taken.ok; taken = q.getNowait()) takes.push(Promise.resolve(taken));
    assert.ok((await Promise.all(puts)).every((p) => p));
    const got = (await Promise.all(takes)).filter((t) => t.ok).map(item);
    assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
  });
});
