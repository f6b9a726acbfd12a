/**
 * maxCalls on the owner's side, against a fake raylet and fake workers: a reply saying the
 * worker ran its last call takes the lease out of use (no task goes to it again), the tasks
 * handed back meanwhile go to a new worker uncharged, and the lease goes back with
 * `workerExiting` once nothing is in flight on it; the worker's end is then no failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeWorker, eventually, settle } from "@lux/testing";
import type { TaskRecord } from "../src/task-record.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();
const finished = (o: FakeOwner, r: TaskRecord): boolean => o.valueOf(r) !== undefined;

test("a worker's last call: its lease goes back with workerExiting and the next task gets a new worker", async () => {
  const o = await owner();
  const [w1, w2] = [new FakeWorker(o.net), new FakeWorker(o.net)];
  const workers = [w1, w2];
  o.raylet.onLease((l) => {
    const w = workers.shift();
    if (w !== undefined) l.grant(w);
  });
  w1.onPush((p) => p.replyExiting());
  const first = o.submit();
  await eventually(() => finished(o, first), "the first task finished");
  assert.equal(o.errorOf(first), undefined);
  await settle();
  assert.deepEqual(o.raylet.received("returnLease"), [{ leaseId: `${o.raylet.nodeId}-lease-1`, disconnect: false, workerExiting: true }]);
  assert.equal(w1.alive, false, "the fake raylet stops the spent worker");
  const second = o.submit();
  await eventually(() => finished(o, second), "the second task finished");
  assert.equal(o.errorOf(second), undefined);
  assert.equal(w1.tasks.length, 1, "nothing more went to the spent worker");
  assert.equal(w2.tasks.length, 1);
  assert.equal(o.raylet.leases.length, 2, "a lease of its own for the second task");
});

test("a task pipelined behind the last call comes back unstarted and runs elsewhere uncharged; the lease is returned once it did", async () => {
  const o = await owner({ config: { maxPendingLeaseRequests: 1 } }); // one request at a time: a task is pipelined
  const [w1, w2] = [new FakeWorker(o.net), new FakeWorker(o.net)];
  w1.hold();
  let grants = 0;
  o.raylet.onLease((l) => {
    if (++grants === 1) l.grant(w1);
  });
  // The first task runs on w1, the second is pipelined behind it, the third asks for a lease.
  // None may be retried (maxRetries 0): a task charged for the spent worker would fail.
  const records = [o.submit(), o.submit(), o.submit()];
  await eventually(() => w1.tasks.length === 2, "two tasks pushed to w1");
  const [last, behind] = w1.held;
  last?.replyExiting();
  await settle();
  assert.deepEqual(o.raylet.received("returnLease"), [], "a task is still in flight on the spent lease");
  // The worker hands back what it holds (a real one does so as its last call starts).
  behind?.requeue();
  await settle();
  assert.deepEqual(o.raylet.received("returnLease"), [{ leaseId: `${o.raylet.nodeId}-lease-1`, disconnect: false, workerExiting: true }]);
  o.raylet.onLease((l) => l.grant(w2));
  for (const l of o.raylet.pendingLeases) l.grant(w2);
  await eventually(() => records.every((r) => finished(o, r)), "every task finished");
  assert.deepEqual(records.map((r) => o.errorOf(r)), [undefined, undefined, undefined]);
  assert.equal(w1.tasks.length, 2);
  assert.deepEqual(w2.tasks.map((t) => t.taskId).sort(), records.slice(1).map((r) => r.spec.taskId).sort());
});

test("a spent worker that dies with a task still in flight on it: that task never started, so it runs elsewhere and does not fail", async () => {
  const o = await owner({ config: { maxPendingLeaseRequests: 1 } });
  const [w1, w2] = [new FakeWorker(o.net), new FakeWorker(o.net)];
  w1.hold();
  let grants = 0;
  o.raylet.onLease((l) => {
    if (++grants === 1) l.grant(w1);
    else l.grant(w2);
  });
  const records = [o.submit(), o.submit(), o.submit()];
  await eventually(() => w1.tasks.length === 2, "two tasks pushed to w1");
  w1.held[0]?.replyExiting();
  await settle();
  w1.die({ signal: "SIGKILL" }); // the pipelined push is never answered
  await eventually(() => records.every((r) => finished(o, r)), "every task finished");
  assert.deepEqual(records.map((r) => o.errorOf(r)), [undefined, undefined, undefined], "none charged (maxRetries 0)");
  assert.deepEqual(w2.tasks.map((t) => t.taskId).sort(), records.slice(1).map((r) => r.spec.taskId).sort());
  assert.equal(o.raylet.received("returnLease").length, 1, "the spent lease is returned once");
});
