/**
 * The owner's side of streaming generators (issue 15, points 1 and 2) against fake raylets
 * and workers: items in order before the task ends, the error item after a throw, the answer
 * to each item held back by backpressure, return() stopping the worker and freeing what was
 * not taken, retries that skip what the owner has, cancellation. No socket, no process.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { TaskCancelledError, TaskError, fromWireError } from "@lux/common";
import { FakeWorker, eventually, settle } from "@lux/testing";
import type { ObjectRef } from "../src/object-ref.js";
import { setRefTracker } from "../src/object-ref.js";
import type { ObjectRefGenerator } from "../src/object-ref-generator.js";
import { deserialize, serialize } from "../src/serialization/index.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const newOwner = ownersClosedAfterEach();

/** An owner whose ObjectRefs are counted (handed-out items live while their refs do), with one worker granted. */
async function owner(): Promise<{ o: FakeOwner; w: FakeWorker }> {
  const o = await newOwner();
  setRefTracker(o.objects.refs);
  const w = new FakeWorker(o.net);
  w.hold();
  o.raylet.onLease((l) => l.grant(w));
  return { o, w };
}
afterEach(() => setRefTracker(undefined));

const item = (v: unknown): { value: Uint8Array } => ({ value: serialize(v).bytes });

/** The value an owned ref holds here (its error thrown as it would reach `get`). */
function valueOf(o: FakeOwner, ref: ObjectRef): unknown {
  const v = o.objects.memory.peek(ref.objectId);
  if (v === undefined) throw new Error(`no value for ${ref.objectId}`);
  if (v.kind === "error") throw fromWireError(v.error);
  assert.equal(v.kind, "inline");
  return deserialize(v.bytes);
}

async function nextValue(o: FakeOwner, gen: ObjectRefGenerator): Promise<unknown> {
  const r = await gen.next();
  assert.equal(r.done, false, "expected another item");
  return valueOf(o, r.value as ObjectRef);
}

/** Whether `p` settled within a few turns of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

describe("ObjectRefGenerator: the owner's stream", () => {
  test("items come in order as the worker yields them, before the task replies; then done, and completed() resolves", async () => {
    const { o, w } = await owner();
    const { gen } = o.submitGenerator();
    const push = await w.nextPush();
    assert.deepEqual(push.spec.generator, { backpressure: 0, skip: 0 }, "the worker is told it runs a generator");
    assert.deepEqual(await push.yieldItem(0, item("a")), { stop: false });
    assert.equal(await nextValue(o, gen), "a", "the first item, while the task still runs");
    const second = gen.next();
    assert.equal(await settled(second), false, "next() waits for the worker's next item");
    await push.yieldItem(1, item("b"));
    const r = await second;
    assert.equal(valueOf(o, r.value as ObjectRef), "b");
    assert.equal(gen.isFinished(), false);
    const end = gen.next();
    push.reply();
    assert.deepEqual(await end, { done: true, value: undefined });
    assert.equal(gen.isFinished(), true);
    assert.equal(o.objects.memory.peek(gen.completed().objectId)?.kind, "inline", "completed() holds the task's end");
    assert.equal(o.generators.size(), 0, "nothing is left to receive");
  });

  test("a throw mid-stream: the items before it, then one ref holding the TaskError, then done; completed() holds the error too", async () => {
    const { o, w } = await owner();
    const { gen } = o.submitGenerator();
    const push = await w.nextPush();
    await push.yieldItem(0, item(1));
    await push.yieldItem(1, item(2));
    push.throw(new RangeError("boom"));
    await eventually(() => o.objects.memory.peek(gen.completed().objectId) !== undefined, "the task to end");
    assert.equal(await nextValue(o, gen), 1);
    assert.equal(await nextValue(o, gen), 2);
    await assert.rejects(nextValue(o, gen), (e: unknown) => e instanceof TaskError && /boom/.test(String((e as Error).cause)));
    assert.deepEqual(await gen.next(), { done: true, value: undefined });
    assert.throws(() => valueOf(o, gen.completed()), TaskError);
  });

  test("backpressure n = 2: the answer to item i comes only once the consumer took i + 2 - n items", async () => {
    const { o, w } = await owner();
    const { gen } = o.submitGenerator(2);
    const push = await w.nextPush();
    assert.deepEqual(push.spec.generator, { backpressure: 2, skip: 0 });
    assert.deepEqual(await push.yieldItem(0, item(0)), { stop: false }, "one item ahead: go on");
    const second = push.yieldItem(1, item(1));
    assert.equal(await settled(second), false, "two items ahead of the consumer: the worker waits");
    assert.equal(await nextValue(o, gen), 0);
    assert.deepEqual(await second, { stop: false }, "the consumer took one: the worker may make the third");
    const third = push.yieldItem(2, item(2));
    assert.equal(await settled(third), false);
    assert.equal(await nextValue(o, gen), 1);
    assert.deepEqual(await third, { stop: false });
  });

  test("return(): a held report is answered stop, the items not taken are freed, later items are refused and their stored copies freed", async () => {
    const { o, w } = await owner();
    const { gen } = o.submitGenerator(1);
    const push = await w.nextPush();
    const first = push.yieldItem(0, item("taken"));
    assert.equal(await settled(first), false, "n = 1: the worker waits until item 0 is taken");
    const taken = (await gen.next()).value as ObjectRef;
    assert.deepEqual(await first, { stop: false });
    const held = push.yieldItem(1, item("not taken"));
    assert.equal(await settled(held), false, "n = 1: the worker waits until item 1 is taken");
    const untaken = gen.completed().objectId.slice(0, -8) + "00000002";
    assert.equal(o.objects.memory.has(untaken), true);
    assert.deepEqual(await gen.return(), { done: true, value: undefined });
    assert.deepEqual(await held, { stop: true }, "the worker is told to stop");
    assert.equal(o.objects.memory.has(untaken), false, "the item nobody took is freed");
    assert.equal(valueOf(o, taken), "taken", "an item taken before stays");
    assert.deepEqual(await push.yieldItem(2, { nodeId: "node-B", size: 1000 }), { stop: true });
    await eventually(() => o.raylet.received("freeObjects").length > 0, "the refused item's stored copy to be freed");
    assert.deepEqual(o.raylet.received("freeObjects")[0], { objectIds: [gen.completed().objectId.slice(0, -8) + "00000003"], nodeId: "node-B" });
    assert.deepEqual(await gen.next(), { done: true, value: undefined });
    assert.equal(gen.isFinished(), true);
  });

  test("a retry after the worker died is told to skip the items the owner has; none is delivered twice", async () => {
    const { o, w } = await owner();
    const second = new FakeWorker(o.net);
    second.hold();
    let grants = 0;
    o.raylet.onLease((l) => l.grant(grants++ === 0 ? w : second));
    const { gen } = o.submitGenerator(0, { maxRetries: 1 });
    const first = await w.nextPush();
    await first.yieldItem(0, item("a"));
    await first.yieldItem(1, item("b"));
    assert.equal(await nextValue(o, gen), "a");
    w.die();
    const again = await second.nextPush();
    assert.deepEqual(again.spec.generator, { backpressure: 0, skip: 2 }, "the retry skips the two items the owner has");
    assert.deepEqual(await again.yieldItem(1, item("b again")), { stop: false }, "an item reported again is answered, not taken");
    await again.yieldItem(2, item("c"));
    again.reply();
    assert.equal(await nextValue(o, gen), "b", "the first attempt's item, once");
    assert.equal(await nextValue(o, gen), "c");
    assert.deepEqual(await gen.next(), { done: true, value: undefined });
  });

  test("cancelled: the next ref rejects with TaskCancelledError, then done; the worker's next item is refused", async () => {
    const { o, w } = await owner();
    const { record, gen } = o.submitGenerator();
    const push = await w.nextPush();
    await push.yieldItem(0, item(0));
    await o.canceller.cancelRecord(record, false, false);
    assert.equal(await nextValue(o, gen), 0, "what came before the cancel");
    await assert.rejects(nextValue(o, gen), TaskCancelledError);
    assert.deepEqual(await gen.next(), { done: true, value: undefined });
    assert.deepEqual(await push.yieldItem(1, item(1)), { stop: true });
    assert.deepEqual(w.received("cancelTask").map((c) => c.taskId), [record.spec.taskId], "the worker hears the cancel");
  });

  test("next() called ahead of the items resolves each in order as they come", async () => {
    const { o, w } = await owner();
    const { gen } = o.submitGenerator();
    const push = await w.nextPush();
    const [a, b, c] = [gen.next(), gen.next(), gen.next()];
    await push.yieldItem(0, item("x"));
    await push.yieldItem(1, item("y"));
    push.reply();
    assert.equal(valueOf(o, (await a).value as ObjectRef), "x");
    assert.equal(valueOf(o, (await b).value as ObjectRef), "y");
    assert.deepEqual(await c, { done: true, value: undefined }, "a next() past the last item resolves done when the task ends");
  });
});
