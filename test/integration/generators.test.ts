/**
 * Streaming generators (issue 15, points 1 and 2), through the public API on a private
 * cluster: a remote generator function or generator actor method returns an
 * ObjectRefGenerator whose refs come in order as the worker yields, before the task ends;
 * next(), completed(), isFinished(); lux.wait and lux.cancel; a throw mid-stream; a retry
 * after the worker died delivers no item twice; an actor's death; a generator cannot be put
 * or passed; backpressure; breaking out of `for await` or dropping the generator stops the
 * producer (its finally runs) and frees what it yielded that nobody took.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { nodeStats } from "@lux/core/internal";
import { GateActor, RecorderActor, type Recorder } from "./fixtures/actors-defs.js";
import { collectGarbage } from "./fixtures/actor-lifetime-defs.js";
import { StreamerActor, type Streamer, asyncRange, bigItems, boxes, echo, endless, failsAfter, gated, range, retried, sumOfRange } from "./fixtures/generators-defs.js";
import { waitFor } from "./helpers.js";

/** Far above normal: a hang fails the test with GetTimeoutError instead of stalling it. */
const DEADLINE = { timeoutMs: 30_000 };

before(async () => {
  await lux.init({ numCpus: 4 });
});

after(async () => {
  await lux.shutdown();
});

async function values<T>(gen: lux.ObjectRefGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const ref of gen) out.push(await lux.get(ref, DEADLINE));
  return out;
}

async function nextValue<T>(gen: lux.ObjectRefGenerator<T>): Promise<T> {
  const r = await gen.next();
  assert.equal(r.done, false, "expected another ref");
  return lux.get(r.value as lux.ObjectRef<T>, DEADLINE);
}

async function isReady(ref: lux.ObjectRef | lux.ObjectRefGenerator): Promise<boolean> {
  const [ready] = await lux.wait([ref], { timeoutMs: 0 });
  return ready.length === 1;
}

function logOf(recorder: lux.ActorHandle<Recorder>): Promise<unknown[]> {
  return lux.get(recorder.log.remote(), DEADLINE);
}

test("sync and async generator functions: every yield as a ref, in order", async () => {
  assert.deepEqual(await values(range.remote(5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(await values(asyncRange.remote(3, "w")), ["w0", "w1", "w2"]);
  assert.deepEqual(await values(range.remote(0)), [], "a generator that yields nothing ends at once");
});

test("each ref comes as soon as the worker yields it, before the task ends; completed() and isFinished() follow the task", async () => {
  const gate = GateActor.remote();
  const gen = gated.remote(gate);
  assert.equal(await nextValue(gen), "first", "the first yield, while the generator waits for the gate");
  assert.equal(await isReady(gen.completed()), false, "the task still runs");
  assert.equal(gen.isFinished(), false);
  await lux.get(gate.open.remote(), DEADLINE);
  assert.equal(await nextValue(gen), "second");
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
  assert.equal(gen.isFinished(), true);
  assert.equal(await lux.get(gen.completed(), DEADLINE), undefined);
  assert.match(String(gen), /^ObjectRefGenerator\(/);
});

test("generator methods of an actor (sync and async) stream too; its other methods still return one ref", async () => {
  const s = StreamerActor.remote();
  assert.deepEqual(await values(s.count.remote(3)), [10, 11, 12]);
  assert.deepEqual(await values(s.words.remote("a b c")), ["a", "b", "c"]);
  assert.equal(await lux.get(s.plain.remote(), DEADLINE), 10);
});

test("a handle found by name knows the class's generator methods", async () => {
  const s = StreamerActor.options({ name: "streamer" }).remote();
  await lux.get(s.plain.remote(), DEADLINE);
  const found = await lux.getActor<Streamer>("streamer");
  assert.deepEqual(await values(found.count.remote(2)), [10, 11]);
  await lux.kill(s);
});

test("lux.wait: a generator is ready when its next ref is available or it ended", async () => {
  const gate = GateActor.remote();
  const gen = gated.remote(gate);
  const plain = echo.remote("x");
  const [first] = await lux.wait([gen], DEADLINE);
  assert.deepEqual(first, [gen], "ready once the first item came");
  assert.equal(await nextValue(gen), "first");
  assert.equal(await isReady(gen), false, "the next item waits for the gate");
  const [ready, notReady] = await lux.wait([gen, plain], { numReturns: 1, ...DEADLINE });
  assert.deepEqual([ready, notReady], [[plain], [gen]], "refs and generators mix, answered in input order");
  await lux.get(gate.open.remote(), DEADLINE);
  await lux.wait([gen], DEADLINE);
  assert.equal(await nextValue(gen), "second");
  await waitFor(() => isReady(gen), "the generator to be ready once its task ended");
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
  assert.equal(await isReady(gen), true, "a finished generator stays ready");
});

test("lux.cancel(gen) cancels the producer: the next ref rejects with TaskCancelledError, then the end", async () => {
  const gate = GateActor.remote();
  const gen = gated.remote(gate);
  assert.equal(await nextValue(gen), "first");
  await lux.cancel(gen);
  await assert.rejects(nextValue(gen), lux.TaskCancelledError);
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
  await assert.rejects(lux.get(gen.completed(), DEADLINE), lux.TaskCancelledError);
  await lux.get(gate.open.remote(), DEADLINE);
});

test("a throw mid-stream: the items before it, then one ref rejecting with TaskError, then the end", async () => {
  const gen = failsAfter.remote(2);
  assert.equal(await nextValue(gen), 0);
  assert.equal(await nextValue(gen), 1);
  await assert.rejects(nextValue(gen), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError, String(e));
    assert.equal((e.cause as Error).name, "RangeError");
    assert.match((e.cause as Error).message, /failed after 2/);
    return true;
  });
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
  await assert.rejects(lux.get(gen.completed(), DEADLINE), lux.TaskError);
});

test("a retry after the worker died mid-stream runs the generator again but delivers no consumed item twice", async () => {
  const recorder = RecorderActor.remote();
  const gate = GateActor.remote();
  const gen = retried.options({ maxRetries: 1 }).remote(recorder, gate, 5, 2);
  assert.deepEqual(await nextValue(gen), [1, 0]);
  assert.deepEqual(await nextValue(gen), [1, 1]);
  const [{ pid }] = (await logOf(recorder)) as { pid: number }[] as [{ pid: number }];
  process.kill(pid, "SIGKILL"); // stalled before its third item
  const rest = await values(gen);
  assert.deepEqual(rest, [[2, 2], [2, 3], [2, 4]], "the re-run's items from where the consumer was, none twice");
  assert.equal((await logOf(recorder)).length, 2, "the generator ran twice");
  assert.equal(await lux.get(gen.completed(), DEADLINE), undefined);
});

test("if the actor dies mid-stream, the next ref rejects with ActorDiedError", async () => {
  const s = StreamerActor.remote();
  const gate = GateActor.remote();
  const gen = s.stalls.remote(gate);
  assert.equal(await nextValue(gen), "before");
  await lux.kill(s);
  await assert.rejects(nextValue(gen), lux.ActorDiedError);
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
});

test("a generator cannot be put or passed to a task or an actor: TypeError naming it", async () => {
  const gen = range.remote(1);
  assert.throws(() => lux.put(gen), (e: unknown) => e instanceof TypeError && /ObjectRefGenerator/.test((e as Error).message));
  assert.throws(() => echo.remote(gen), (e: unknown) => e instanceof TypeError && /args\[0\] is an ObjectRefGenerator/.test((e as Error).message));
  assert.throws(() => echo.remote({ inner: [gen] }), (e: unknown) => e instanceof TypeError && /args\[0\]\.inner\[0\]/.test((e as Error).message));
  assert.throws(() => RecorderActor.remote().record.remote(gen), TypeError);
  assert.deepEqual(await values(gen), [0], "the generator itself still works");
});

test("a generator consumed inside a task; items too large to travel inline; items holding refs", async () => {
  assert.equal(await lux.get(sumOfRange.remote(10), DEADLINE), 45);
  const gen = bigItems.remote(3, 200_000);
  const arrays = await values(gen);
  assert.deepEqual(arrays.map((a) => [a.length, a[0], a[199_999]]), [[200_000, 0, 0], [200_000, 1, 1], [200_000, 2, 2]]);
  // Refs inside items: the caller borrows the worker's objects, readable after the task ended.
  const held = await values(boxes.remote(3));
  assert.deepEqual(await lux.get(held.map((b) => b.inner), DEADLINE), [0, 10, 20]);
});

test("generatorBackpressureNumObjects must be a positive integer, checked at the call site", () => {
  for (const bad of [0, 1.5, -1, "2"]) {
    for (const call of [() => range.options({ generatorBackpressureNumObjects: bad as number }), () => StreamerActor.remote().count.options({ generatorBackpressureNumObjects: bad as number })]) {
      assert.throws(call, (e: unknown) => e instanceof lux.InvalidOptionError && /generatorBackpressureNumObjects/.test((e as Error).message), String(bad));
    }
  }
  assert.throws(() => range.options({ numReturns: 2 }), (e: unknown) => e instanceof lux.InvalidOptionError && /numReturns/.test((e as Error).message));
});

test("backpressure: the producer never runs more than n items ahead of what the consumer took", async () => {
  const n = 2;
  const recorder = RecorderActor.remote();
  const gen = endless.options({ generatorBackpressureNumObjects: n }).remote(recorder, false);
  // The producer had every chance to run ahead before the consumer starts.
  await waitFor(async () => (await logOf(recorder)).includes(`yield ${n - 1}`), "the producer to make its first n items");
  for (let k = 0; k < 6; k++) {
    // Recorded before asking: the owner counts item k as taken only after this entry.
    await lux.get(recorder.record.remote(`want ${k}`), DEADLINE);
    assert.equal(await nextValue(gen), k);
  }
  await gen.return();
  await waitFor(async () => (await logOf(recorder)).includes("finally"), "the producer to stop");
  let wants = 0;
  for (const entry of (await logOf(recorder)) as string[]) {
    if (entry.startsWith("want")) wants++;
    const made = /^yield (\d+)$/.exec(entry);
    if (made !== null) assert.ok(wants >= Number(made[1]) + 1 - n, `${entry} came after only ${wants} items were asked for`);
  }
});

test("breaking out of for await stops the producer (its finally runs) and frees the items nobody took", async () => {
  const recorder = RecorderActor.remote();
  const before = (await nodeStats()).objectStore.objects;
  const gen = endless.options({ generatorBackpressureNumObjects: 3 }).remote(recorder, true);
  const taken: lux.ObjectRef<unknown>[] = [];
  for await (const ref of gen) {
    taken.push(ref);
    if (taken.length < 2) continue;
    // Two taken, n = 3: the producer makes items 2 and 3 (reported: it was answered for them) and starts item 4.
    await waitFor(async () => (await logOf(recorder)).includes("yield 4"), "the producer to run ahead of the consumer");
    assert.ok((await nodeStats()).objectStore.objects >= before + 4, "items 2 and 3 are in the store, not taken");
    break;
  }
  await waitFor(async () => (await logOf(recorder)).includes("finally"), "the producer's finally to run");
  // At most: objects of earlier tests still being freed when `before` was read may go meanwhile.
  await waitFor(async () => (await nodeStats()).objectStore.objects <= before + taken.length, "the items nobody took to be freed");
  assert.equal(gen.isFinished(), true);
  assert.deepEqual(await gen.next(), { done: true, value: undefined });
  assert.equal((await lux.get(taken[1] as lux.ObjectRef<Float64Array>, DEADLINE))[0], 1, "the items taken stay");
});

test("dropping the generator (garbage collected) stops the producer", async () => {
  const recorder = RecorderActor.remote();
  await takeOneAndDrop(recorder);
  await waitFor(async () => {
    await collectGarbage();
    return (await logOf(recorder)).includes("finally");
  }, "the producer's finally to run once the generator was collected");
});

/** Takes the generator's first item and drops it (no frame of the test holds it). */
async function takeOneAndDrop(recorder: lux.ActorHandle<Recorder>): Promise<void> {
  const gen = endless.options({ generatorBackpressureNumObjects: 1 }).remote(recorder, false);
  assert.equal(await nextValue(gen), 0);
}
