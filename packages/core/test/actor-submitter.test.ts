/**
 * ActorSubmitter against a fake control service and fake actor workers: calls arrive in
 * submission order per caller (also behind calls waiting on ref arguments), calls made
 * while the actor restarts reach its new worker in order, and a call in flight when the
 * actor's worker dies fails (at-most-once) unless the actor has maxTaskRetries.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ActorDiedError, OutOfMemoryError, newActorId, newPutObjectId } from "@lux/common";
import { FakeWorker, eventually, settle } from "@lux/testing";
import { ObjectRef } from "../src/object-ref.js";
import type { TaskRecord } from "../src/task-record.js";
import { collect } from "./collect.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

const methods = (w: FakeWorker): string[] => w.tasks.map((t) => t.method ?? "");
const finished = (o: FakeOwner, r: TaskRecord): boolean => o.valueOf(r) !== undefined;

describe("ActorSubmitter: ordering", () => {
  test("calls reach the actor in submission order, numbered per caller", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w);
    const calls = ["a", "b", "c", "d"].map((m) => o.call(actorId, m));
    await eventually(() => calls.every((r) => finished(o, r)), "every call finished");
    assert.deepEqual(methods(w), ["a", "b", "c", "d"]);
    assert.deepEqual(w.tasks.map((t) => t.seq), [0, 1, 2, 3]);
    assert.ok(w.tasks.every((t) => t.callerId === "caller-1" && t.actorId === actorId));
  });

  test("a call waiting on a ref argument holds back the calls after it, and they follow it in order", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w);
    const pendingId = newPutObjectId();
    const arg = new ObjectRef(pendingId, o.address, o.objects.memory.createPending(pendingId));
    const first = o.call(actorId, "first");
    const waiting = o.call(actorId, "waiting", [arg]);
    const after = [o.call(actorId, "after1"), o.call(actorId, "after2")];
    await eventually(() => finished(o, first), "the first call finished");
    await settle();
    assert.deepEqual(methods(w), ["first"], "the calls behind the waiting one wait too");
    o.objects.memory.set(pendingId, { kind: "inline", bytes: Uint8Array.of(7) });
    await eventually(() => [waiting, ...after].every((r) => finished(o, r)), "every call finished");
    assert.deepEqual(methods(w), ["first", "waiting", "after1", "after2"]);
    assert.deepEqual(w.tasks[1]?.resolved, [{ index: 0, objectId: pendingId, value: Uint8Array.of(7) }], "sent with its argument's value");
  });

  test("a call whose argument failed fails with its error, and does not hold back the calls after it", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w);
    const failingTask = o.submit(); // the local raylet holds its lease request: it never runs
    const waiting = o.call(actorId, "waiting", [o.refs(failingTask)[0]]);
    const after = o.call(actorId, "after");
    await settle();
    assert.deepEqual(methods(w), []);
    o.results.fail(failingTask, new Error("the argument's task failed"));
    await eventually(() => finished(o, waiting) && finished(o, after), "both calls finished");
    assert.match(o.errorOf(waiting)?.message ?? "", /the argument's task failed/);
    assert.deepEqual(methods(w), ["after"]);
  });
});

describe("ActorSubmitter: restarts", () => {
  test("calls made while the actor restarts wait for its new worker and reach it in order", async () => {
    const o = await owner();
    const w1 = new FakeWorker(o.net);
    const w2 = new FakeWorker(o.net);
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w1);
    const before = o.call(actorId, "before");
    await eventually(() => finished(o, before), "the first call finished");
    w1.die();
    o.gcs.actorRestarting(actorId);
    await settle(); // the caller sees the connection close (a call sent before that would be in flight when it died)
    const during = ["r1", "r2", "r3"].map((m) => o.call(actorId, m));
    await settle();
    assert.deepEqual(methods(w1), ["before"]);
    assert.deepEqual(methods(w2), []);
    const lookup = o.gcs.received("getActorInfo").at(-1);
    assert.equal(lookup?.waitAlive, true);
    assert.equal(lookup?.staleAddress, w1.address, "asked for an instance elsewhere than the dead one");
    o.gcs.actorAlive(actorId, w2);
    await eventually(() => during.every((r) => finished(o, r)), "the calls finished");
    assert.deepEqual(methods(w2), ["r1", "r2", "r3"]);
    for (const r of during) assert.equal(o.errorOf(r), undefined);
  });

  test("at most once by default: a call in flight when the actor's worker dies fails with ActorDiedError and is not re-sent", async () => {
    const o = await owner();
    const w1 = new FakeWorker(o.net);
    const w2 = new FakeWorker(o.net);
    w1.hold();
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w1);
    const inFlight = o.call(actorId, "inFlight");
    await eventually(() => w1.pushes.length === 1, "the call reached the actor");
    o.gcs.actorRestarting(actorId);
    w1.die();
    await eventually(() => finished(o, inFlight), "the call failed");
    const error = o.errorOf(inFlight);
    assert.ok(error instanceof ActorDiedError, String(error));
    assert.equal(error.actorId, actorId);
    o.gcs.actorAlive(actorId, w2);
    const next = o.call(actorId, "next");
    await eventually(() => finished(o, next), "the next call finished");
    assert.deepEqual(methods(w2), ["next"], "the failed call was not re-sent");
  });

  test("with maxTaskRetries a call in flight when the worker dies is re-sent to the new worker, before later calls, until its retries are spent", async () => {
    const o = await owner();
    const [w1, w2, w3] = [new FakeWorker(o.net), new FakeWorker(o.net), new FakeWorker(o.net)];
    w1.hold();
    w2.hold();
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w1, { maxTaskRetries: 1 });
    const retried = o.call(actorId, "retried");
    await eventually(() => w1.pushes.length === 1, "the call reached the first worker");
    // A later call waits in the queue for its argument meanwhile.
    const argId = newPutObjectId();
    const later = o.call(actorId, "later", [new ObjectRef(argId, o.address, o.objects.memory.createPending(argId))]);
    o.gcs.actorRestarting(actorId);
    w1.die();
    await settle();
    o.gcs.actorAlive(actorId, w2, { maxTaskRetries: 1 });
    await eventually(() => w2.pushes.length === 1, "the call in flight was re-sent");
    o.objects.memory.set(argId, { kind: "inline", bytes: Uint8Array.of(1) });
    await eventually(() => w2.pushes.length === 2, "the later call followed");
    assert.deepEqual(methods(w2), ["retried", "later"], "re-sent in its place: submission order holds");
    assert.equal(finished(o, retried), false);
    // It dies again with the call in flight: its one retry is spent.
    o.gcs.actorRestarting(actorId);
    w2.die();
    await eventually(() => finished(o, retried), "the retried call failed");
    assert.ok(o.errorOf(retried) instanceof ActorDiedError);
    assert.equal(finished(o, later), false, "the later call has its retry left");
    o.gcs.actorAlive(actorId, w3, { maxTaskRetries: 1 });
    await eventually(() => finished(o, later), "the later call finished");
    assert.equal(o.errorOf(later), undefined);
    assert.deepEqual(methods(w3), ["later"], "only the call with a retry left is re-sent");
  });

  test("calls to a dead actor fail with ActorDiedError carrying the control service's cause", async () => {
    const o = await owner();
    const actorId = newActorId();
    o.gcs.actorDead(actorId, "the actor's worker died: it ran out of memory");
    const r = o.call(actorId, "m");
    await eventually(() => finished(o, r), "the call failed");
    const error = o.errorOf(r);
    assert.ok(error instanceof ActorDiedError, String(error));
    assert.match(error.message, /ran out of memory/);
  });

  test("a call running when its actor's node killed it for memory: its OutOfMemoryError names the method; later calls the actor", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w);
    const running = o.call(actorId, "grow");
    await w.nextPush();
    const info = { nodeId: "A", nodeAddress: "a:1", usedBytes: 990, capacityBytes: 1000, threshold: 0.95, topUsers: [] };
    // As the raylet has it: the control service hears of the kill before the process ends.
    o.gcs.actorDead(actorId, new OutOfMemoryError({ task: "Hog", actorClass: "Hog", ...info }));
    w.die({ signal: "SIGKILL" });
    await eventually(() => finished(o, running), "the running call failed");
    const error = o.errorOf(running);
    assert.ok(error instanceof ActorDiedError, String(error));
    assert.ok(error.cause instanceof OutOfMemoryError, String(error.cause));
    assert.equal(error.cause.task, "Hog.grow");
    assert.match(error.message, /actor method Hog\.grow was killed by the memory monitor of node A/);
    const later = o.call(actorId, "size");
    await eventually(() => finished(o, later), "the later call failed");
    const cause = (o.errorOf(later) as ActorDiedError).cause;
    assert.ok(cause instanceof OutOfMemoryError);
    assert.equal(cause.task, "Hog");
  });
});

describe("ActorSubmitter: lifetime of the handle", () => {
  test("a call holds the handle it was made through until its reply, so a dropped handle does not end the actor meanwhile", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    const actorId = newActorId();
    o.gcs.actorAlive(actorId, w);
    const weak = { ref: undefined as WeakRef<object> | undefined };
    const r = ((): TaskRecord => {
      const handle = {};
      weak.ref = new WeakRef(handle);
      return o.call(actorId, "slow", [], handle);
    })();
    const push = await w.nextPush();
    await collect();
    assert.notEqual(weak.ref?.deref(), undefined, "held while the call is in flight");
    push.reply();
    await eventually(() => finished(o, r), "the call finished");
    await collect();
    assert.equal(weak.ref?.deref(), undefined, "released with the call");
  });
});
