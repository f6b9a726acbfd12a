/**
 * Creates waiting for room in a full store (issue 13, point 5): a queue that keeps moving
 * never fails, however long; the waiters fail only when the store made no room for
 * fullTimeoutMs; a create that only waits for spilling is answered -1, never failed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { Allocator } from "../src/allocator.js";
import { SpaceWaiters } from "../src/space-waiters.js";

const PAGE = 4096;
const FULL_MS = 1_000;

function setup(capacityPages: number): { clock: FakeClock; allocator: Allocator; space: SpaceWaiters; pressure: () => number } {
  const clock = new FakeClock();
  const allocator = new Allocator(capacityPages * PAGE);
  let pressure = 0;
  const space = new SpaceWaiters({
    allocator,
    clock,
    fullTimeoutMs: FULL_MS,
    pressureIntervalMs: 100,
    onPressure: () => pressure++,
    makeRoom: () => undefined,
    fullError: (objectId, size, why) => new Error(`${objectId} (${size} bytes): ${why}`),
  });
  return { clock, allocator, space, pressure: () => pressure };
}

/** What each promise settled with so far: an offset, an error message, or "waiting". */
function track(p: Promise<number>): { state: number | string } {
  const t: { state: number | string } = { state: "waiting" };
  p.then(
    (v) => (t.state = v),
    (e: Error) => (t.state = e.message),
  );
  return t;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("SpaceWaiters", () => {
  test("a queue that keeps moving never fails: 5 waiters served one per 600 ms, 3 s in all, with fullTimeoutMs 1 s", async () => {
    const { clock, allocator, space } = setup(1);
    const held = allocator.allocate(PAGE);
    const waiters = ["a", "b", "c", "d", "e"].map((id) => track(space.reserve(id, PAGE, undefined)));
    let offset = held;
    for (let i = 0; i < waiters.length; i++) {
      await clock.advanceAsync(600);
      allocator.release(offset, PAGE);
      space.serve();
      await settle();
      assert.equal(waiters[i]?.state, 0, `waiter ${i} got the page`);
      for (const w of waiters.slice(i + 1)) assert.equal(w.state, "waiting");
      offset = 0;
    }
    assert.equal(space.count, 0);
  });

  test("a spill that ends counts as progress for the waiters' deadline", async () => {
    const { clock, allocator, space } = setup(1);
    allocator.allocate(PAGE);
    const w = track(space.reserve("a", PAGE, undefined));
    for (let i = 0; i < 5; i++) {
      await clock.advanceAsync(FULL_MS - 1);
      space.progress();
    }
    await settle();
    assert.equal(w.state, "waiting");
    await clock.advanceAsync(FULL_MS);
    assert.match(String(w.state), /^a \(4096 bytes\): no space was freed within 1000 ms/);
  });

  test("no room for fullTimeoutMs: waiters fail in order until one fits (a smaller one behind may)", async () => {
    const { clock, allocator, space } = setup(3);
    allocator.allocate(2 * PAGE);
    const big = track(space.reserve("big", 2 * PAGE, undefined));
    const small = track(space.reserve("small", PAGE, undefined));
    const after = track(space.reserve("after", 2 * PAGE, undefined));
    await clock.advanceAsync(FULL_MS - 1);
    assert.deepEqual([big.state, small.state, after.state], ["waiting", "waiting", "waiting"]);
    await clock.advanceAsync(1);
    assert.match(String(big.state), /^big .*no space was freed within 1000 ms/);
    assert.equal(small.state, 2 * PAGE, "the smaller one fits the free page");
    assert.equal(after.state, "waiting", "serving one is progress: the deadline starts again");
    await clock.advanceAsync(FULL_MS);
    assert.match(String(after.state), /^after /);
    assert.equal(space.count, 0);
  });

  test("a brief waiter is answered -1 when its wait lapses, never failed; those behind it are served", async () => {
    const { clock, allocator, space } = setup(2);
    allocator.allocate(PAGE);
    const brief = track(space.reserveBriefly("brief", 2 * PAGE, "c", 200));
    const behind = track(space.reserve("behind", PAGE, undefined));
    await clock.advanceAsync(199);
    assert.deepEqual([brief.state, behind.state], ["waiting", "waiting"]);
    await clock.advanceAsync(1);
    assert.deepEqual([brief.state, behind.state], [-1, PAGE]);
  });

  test("a brief waiter told to give up, or failed, is answered -1", async () => {
    const { allocator, space } = setup(1);
    allocator.allocate(PAGE);
    const a = track(space.reserveBriefly("a", PAGE, "c", 10_000));
    const b = track(space.reserveBriefly("b", PAGE, "c", 10_000));
    assert.equal(space.firstIsBrief, true);
    space.giveUpFirst();
    space.failFirst(() => new Error("spilling failed"));
    await settle();
    assert.deepEqual([a.state, b.state], [-1, -1]);
  });

  test("a brief waiter does not ask processes to collect garbage (it waits for spilling only)", async () => {
    const { clock, allocator, space, pressure } = setup(1);
    allocator.allocate(PAGE);
    const w = track(space.reserveBriefly("a", PAGE, "c", 1_000));
    await clock.advanceAsync(1_000);
    assert.deepEqual([w.state, pressure()], [-1, 0]);
  });

  test("processes are asked to collect garbage while creates wait, and no longer once none waits", async () => {
    const { clock, allocator, space, pressure } = setup(1);
    const held = allocator.allocate(PAGE);
    const w = track(space.reserve("a", PAGE, undefined));
    assert.equal(pressure(), 1);
    await clock.advanceAsync(350);
    assert.equal(pressure(), 4);
    allocator.release(held, PAGE);
    space.serve();
    await clock.advanceAsync(5 * FULL_MS);
    assert.equal(pressure(), 4);
    assert.equal(w.state, 0);
  });
});
