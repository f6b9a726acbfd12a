/**
 * Async actors (issue 13, point 10), as in Ray: an actor whose class has an async method runs
 * up to 1,000 calls at once by default, so Ray's SignalActor pattern works (tasks await
 * `signal.wait()` while the driver calls `signal.send()`); other actors run one call at a time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as lux from "lux";
import { CrowdActor, SerialActor, SignalActor, waitForSignal } from "./fixtures/async-actors-defs.js";
import { waitFor, withCluster } from "./helpers.js";

/** Far above normal: a deadlock fails the test with GetTimeoutError instead of stalling it. */
const DEADLINE = { timeoutMs: 30_000 };

withCluster({ head: { numCpus: 2 } });

test("Ray's SignalActor pattern: tasks await signal.wait() while the driver calls signal.send()", async () => {
  const signal = SignalActor.remote();
  const refs = [0, 1, 2, 3].map((i) => waitForSignal.remote(signal, i));
  await waitFor(async () => (await lux.get(signal.waiting.remote(), DEADLINE)) === 4, "the four tasks to wait on the signal");
  await lux.get(signal.send.remote(), DEADLINE);
  assert.deepEqual(await lux.get(refs, DEADLINE), [0, 1, 2, 3]);
});

test("an async actor runs up to 1,000 calls at once by default (Ray's max_concurrency for async actors)", async () => {
  const crowd = CrowdActor.remote();
  // The first 1,000 return only once all of them are inside at once; the 1,001st starts when one leaves.
  const refs = Array.from({ length: 1001 }, () => crowd.meet.remote(1000));
  await lux.get(refs, DEADLINE);
  assert.equal(await lux.get(crowd.peak.remote(), DEADLINE), 1000);
});

test("an actor without async methods runs one call at a time by default", async () => {
  const signal = SignalActor.remote();
  const serial = SerialActor.remote();
  const a = serial.step.remote("a", signal);
  const b = serial.step.remote("b", signal);
  await waitFor(async () => (await lux.get(signal.waiting.remote(), DEADLINE)) >= 1, "the first call to wait on the signal");
  await lux.get(signal.send.remote(), DEADLINE);
  assert.deepEqual(await lux.get([a, b], DEADLINE), ["a", "b"]);
  assert.deepEqual(await lux.get(serial.log.remote(), DEADLINE), ["start a", "end a", "start b", "end b"]);
});
