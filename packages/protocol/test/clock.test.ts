import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, SystemClock, sleep, systemClock } from "../src/index.js";

describe("FakeClock", () => {
  test("starts where told and moves only on advance", () => {
    const clock = new FakeClock(1000);
    assert.equal(clock.now(), 1000);
    clock.advance(250);
    assert.equal(clock.now(), 1250);
    assert.equal(new FakeClock().now(), 0);
  });

  test("fires due timers in order of due time, ties in scheduling order", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    clock.advance(30);
    assert.deepEqual(fired, ["a@10", "b1@20", "b2@20", "c@30"]);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(1);
    assert.deepEqual(fired.at(-1), "late@31");
  });

  test("timers scheduled while advancing run if due within the window", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(350);
    assert.deepEqual(fired, [100, 200, 300]);
    assert.equal(clock.nextTimerAt(), 400);
  });

  test("zero and negative delays fire on the next advance", () => {
    const clock = new FakeClock();
    let n = 0;
    clock.setTimeout(() => n++, 0);
    clock.setTimeout(() => n++, -5);
    clock.setTimeout(() => n++, NaN);
    assert.equal(n, 0);
    clock.advance(0);
    assert.equal(n, 3);
  });

  test("cancelled timers do not fire", () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    assert.equal(clock.pendingTimers, 1);
    handle.cancel();
    handle.cancel();
    assert.equal(handle.unref(), handle);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(clock.nextTimerAt(), undefined);
    clock.advance(100);
    assert.equal(fired, false);
  });

  test("a timer can cancel a later one", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push("later"), 20);
    clock.setTimeout(() => {
      fired.push("first");
      later.cancel();
    }, 10);
    clock.advance(50);
    assert.deepEqual(fired, ["first"]);
  });

  test("a throwing callback stops advance at its time", () => {
    const clock = new FakeClock();
    let after = false;
    clock.setTimeout(() => {
      throw new Error("boom");
    }, 10);
    clock.setTimeout(() => (after = true), 20);
    assert.throws(() => clock.advance(100), /boom/);
    assert.equal(clock.now(), 10);
    assert.equal(after, false);
    clock.advance(90);
    assert.equal(after, true);
  });

  test("many timers come out sorted", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const delays = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const d of delays) clock.setTimeout(() => fired.push(d), d);
    clock.advance(1000);
    assert.deepEqual(fired, [...delays].sort((a, b) => a - b));
  });

  test("runAll drains timers and catches runaway loops", () => {
    const clock = new FakeClock();
    let n = 0;
    clock.setTimeout(() => n++, 5000);
    clock.setTimeout(() => n++, 10);
    clock.runAll();
    assert.equal(n, 2);
    assert.equal(clock.now(), 5000);
    const forever = (): void => void clock.setTimeout(forever, 1);
    forever();
    assert.throws(() => clock.runAll(100), /reschedules itself forever/);
  });

  test("advanceAsync drives code that awaits between timers", async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 100);
        await Promise.resolve();
        seen.push(clock.now());
      }
    };
    const done = loop();
    await clock.advanceAsync(300);
    await done;
    assert.deepEqual(seen, [100, 200, 300]);
  });

  test("sleep can be aborted", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = sleep(clock, 1000, ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
    assert.equal(clock.pendingTimers, 0);
    await assert.rejects(sleep(clock, 1, ac.signal), /stop/);
  });
});

describe("SystemClock", () => {
  test("now is epoch milliseconds and never goes back", () => {
    const clock = new SystemClock();
    const a = clock.now();
    assert.ok(Math.abs(a - Date.now()) < 1000);
    let prev = a;
    for (let i = 0; i < 1000; i++) {
      const t = clock.now();
      assert.ok(t >= prev);
      prev = t;
    }
  });

  test("setTimeout fires, cancel prevents it", async () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 5);
    const cancelled = systemClock.setTimeout(() => (fired += 100), 5);
    cancelled.cancel();
    // Node runs timers of one delay in the order they were set: when this one runs, those before it did.
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    assert.equal(fired, 1);
  });

  test("sleep resolves after the delay", async () => {
    const start = systemClock.now();
    await sleep(systemClock, 20);
    assert.ok(systemClock.now() - start >= 19);
  });

  test("delays longer than Node's timer limit do not fire early", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    let fired = false;
    const handle = new SystemClock().setTimeout(() => (fired = true), 2 ** 31 + 1000).unref();
    t.mock.timers.tick(2 ** 31 - 1);
    assert.equal(fired, false);
    t.mock.timers.tick(1001);
    assert.equal(fired, true);
    handle.cancel();
  });
});
