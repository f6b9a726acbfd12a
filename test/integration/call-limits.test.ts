/**
 * Call limits (issue 15, point 3), through the public API on a one-CPU cluster:
 * - maxCalls (tasks, Ray's max_calls): a worker that started n calls of the function exits
 *   after the n-th and frees its resources; later tasks get fresh workers.
 * - maxPendingCalls (actors, Ray's max_pending_calls): a call made while n calls of the same
 *   process are unfinished throws PendingCallsLimitExceededError at `.remote()`; calls work
 *   again once some finish. The limit travels with the handle (each process counts its own).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as lux from "lux";
import { type Gated, GatedActor, SignalActor, callFromTask, otherPid, workerPid } from "./fixtures/call-limits-defs.js";
import { pidAlive, waitFor, withCluster } from "./helpers.js";

/** Far above normal: a worker that kept its CPU fails the test with GetTimeoutError instead of stalling it. */
const DEADLINE = { timeoutMs: 30_000 };

withCluster({ head: { numCpus: 1 } });

const counts = (pids: number[]): number[] => [...pids.reduce((m, p) => m.set(p, (m.get(p) ?? 0) + 1), new Map<number, number>()).values()];

describe("maxCalls", () => {
  test("with maxCalls 1, each of several sequential tasks runs in another worker, and each worker exits after its call", async () => {
    const once = workerPid.options({ maxCalls: 1 });
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) pids.push(await lux.get(once.remote(), DEADLINE));
    assert.equal(new Set(pids).size, 4, `pids: ${pids.join(", ")}`);
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), "the spent workers to exit");
  });

  test("with maxCalls 2, a worker runs at most two calls of the function", async () => {
    const twice = otherPid.options({ maxCalls: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await lux.get(twice.remote(), DEADLINE));
    assert.ok(counts(pids).every((n) => n <= 2), `pids: ${pids.join(", ")}`);
    assert.ok(new Set(pids).size >= 3, `pids: ${pids.join(", ")}`);
  });

  test("a spent worker frees its CPU: tasks submitted at once on a one-CPU node all run, each in its own worker", async () => {
    const once = workerPid.options({ maxCalls: 1 });
    const pids = await lux.get(Array.from({ length: 5 }, () => once.remote()), DEADLINE);
    assert.equal(new Set(pids).size, 5, `pids: ${pids.join(", ")}`);
    await waitFor(async () => (await lux.availableResources())["CPU"] === 1, "the node's CPU to be free again");
  });

  test("a bad maxCalls throws InvalidOptionError naming it, at the call site", () => {
    for (const bad of [-1, 1.5, "1"]) {
      assert.throws(
        () => workerPid.options({ maxCalls: bad as number }),
        (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "maxCalls" && /maxCalls/.test(e.message),
      );
    }
  });
});

describe("maxPendingCalls", () => {
  test("a call beyond n unfinished ones throws PendingCallsLimitExceededError at .remote(); calls work again once some finish", async () => {
    const signal = SignalActor.remote();
    const gated = GatedActor.options({ maxPendingCalls: 2 }).remote();
    const held = [gated.hold.remote("a", signal), gated.hold.remote("b", signal)];
    assert.throws(
      () => gated.hold.remote("c", signal),
      (e: unknown) => e instanceof lux.PendingCallsLimitExceededError && e instanceof lux.LuxError && e.maxPendingCalls === 2 && e.code === "LUX_PENDING_CALLS_LIMIT_EXCEEDED",
    );
    assert.throws(() => gated.inside.remote(), lux.PendingCallsLimitExceededError, "every method counts");
    await waitFor(async () => (await lux.get(signal.waiting.remote(), DEADLINE)) === 2, "both calls to wait on the signal");
    await lux.get(signal.send.remote(), DEADLINE);
    assert.deepEqual(await lux.get(held, DEADLINE), ["a", "b"]);
    assert.equal(await lux.get(gated.hold.remote("c", signal), DEADLINE), "c");
    assert.deepEqual(await lux.get(gated.peak.remote(), DEADLINE), { a: 1, b: 1, c: 1 }, "refused calls never reached the actor");
  });

  test("the limit travels with the handle: another process counts its own calls; getActor's handles know it", async () => {
    const signal = SignalActor.remote();
    const gated = GatedActor.options({ maxPendingCalls: 2, name: "pending-limited" }).remote();
    const mine = [gated.hold.remote("d1", signal), gated.hold.remote("d2", signal)];
    assert.deepEqual(await lux.get(callFromTask.remote(gated, signal, 3), DEADLINE), ["made", "made", "PendingCallsLimitExceededError"]);
    const found = await lux.getActor<Gated>("pending-limited");
    assert.throws(() => found.inside.remote(), lux.PendingCallsLimitExceededError, "this process's two calls count for every handle it has");
    await lux.get(signal.send.remote(), DEADLINE);
    await lux.get(mine, DEADLINE);
    // The task's two calls finish too (their results go to the task's worker, which owns them).
    await waitFor(async () => Object.keys(await lux.get(found.inside.remote(), DEADLINE)).length === 0, "every call to leave the actor");
  });

  test("-1 means no limit; 0, fractions and non-numbers throw InvalidOptionError naming maxPendingCalls", async () => {
    const signal = SignalActor.remote();
    const unlimited = GatedActor.options({ maxPendingCalls: -1 }).remote();
    const refs = Array.from({ length: 20 }, (_, i) => unlimited.hold.remote(`u${i}`, signal));
    await lux.get(signal.send.remote(), DEADLINE);
    assert.equal((await lux.get(refs, DEADLINE)).length, 20);
    for (const bad of [0, -2, 2.5, "3"]) {
      assert.throws(
        () => GatedActor.options({ maxPendingCalls: bad as number }),
        (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "maxPendingCalls",
      );
    }
  });
});
