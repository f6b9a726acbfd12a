/**
 * maxPendingCalls at the caller, against a fake actor worker: with n calls unfinished the next
 * is refused at once with PendingCallsLimitExceededError (and not made); once one finishes,
 * calls go through again. Calls failed or to a dead actor count as finished.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ActorDiedError, PendingCallsLimitExceededError, newActorId } from "@lux/common";
import { FakeWorker, eventually } from "@lux/testing";
import type { TaskRecord } from "../src/task-record.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

/** A call made as CoreWorker.submitActorCall makes it through a handle with maxPendingCalls `limit`. */
function limitedCall(o: FakeOwner, actorId: string, method: string, limit: number): TaskRecord {
  o.actors.admit(actorId, limit);
  const record = o.call(actorId, method);
  o.actors.pending(actorId, record);
  return record;
}

const refusedWith = (limit: number) => (e: unknown) => e instanceof PendingCallsLimitExceededError && e.maxPendingCalls === limit && e.code === "LUX_PENDING_CALLS_LIMIT_EXCEEDED";

test("with maxPendingCalls unfinished calls, the next throws at once; it goes through once one finishes", async () => {
  const o = await owner();
  const w = new FakeWorker(o.net);
  w.hold();
  const actorId = newActorId();
  o.gcs.actorAlive(actorId, w);
  const calls = [limitedCall(o, actorId, "a", 2), limitedCall(o, actorId, "b", 2)];
  assert.throws(() => limitedCall(o, actorId, "c", 2), refusedWith(2));
  await eventually(() => w.tasks.length === 2, "both calls reached the actor");
  assert.throws(() => limitedCall(o, actorId, "c", 2), refusedWith(2), "still two unfinished");
  w.held[0]?.reply();
  await eventually(() => o.valueOf(calls[0] as TaskRecord) !== undefined, "the first call finished");
  const third = limitedCall(o, actorId, "c", 2);
  assert.throws(() => limitedCall(o, actorId, "d", 2), refusedWith(2));
  await eventually(() => w.tasks.length === 3, "the third call reached the actor");
  for (const p of w.held) p.reply();
  await eventually(() => o.valueOf(third) !== undefined, "the third call finished");
  assert.deepEqual(w.tasks.map((t) => t.method), ["a", "b", "c"], "refused calls were never made");
  limitedCall(o, actorId, "e", 2);
});

test("a call that fails counts as finished (here: the actor is dead)", async () => {
  const o = await owner();
  const actorId = newActorId();
  o.gcs.actorDead(actorId);
  const first = limitedCall(o, actorId, "a", 1);
  await eventually(() => o.valueOf(first) !== undefined, "the call failed");
  assert.ok(o.errorOf(first) instanceof ActorDiedError);
  const second = limitedCall(o, actorId, "b", 1);
  await eventually(() => o.valueOf(second) !== undefined, "the second call failed too");
});

test("calls without the limit are not counted", async () => {
  const o = await owner();
  const w = new FakeWorker(o.net);
  w.hold();
  const actorId = newActorId();
  o.gcs.actorAlive(actorId, w);
  o.call(actorId, "plain");
  o.call(actorId, "plain");
  limitedCall(o, actorId, "limited", 1);
  assert.throws(() => limitedCall(o, actorId, "limited", 1), refusedWith(1));
});
