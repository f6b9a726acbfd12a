/**
 * TaskSubmitter against fake raylets and workers on a fake network and clock: leases,
 * spillbacks, pipelining and hand-backs, worker deaths, start failures, idle leases,
 * node deaths and cancellation. No socket, no process, no time but the fake clock's.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OutOfMemoryInfo } from "@lux/protocol";
import { LeaseFailedError, LuxError, OutOfMemoryError, TaskCancelledError, WorkerCrashedError } from "@lux/common";
import { FakeRaylet, FakeWorker, eventually, settle, type LeaseRequestHandle } from "@lux/testing";
import type { TaskPace } from "../src/function-registry.js";
import type { TaskRecord } from "../src/task-record.js";
import { SMALL, type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

const finished = (o: FakeOwner, r: TaskRecord): boolean => o.valueOf(r) !== undefined;
const names = (w: FakeWorker): string[] => w.tasks.map((t) => t.name);

/** Grants each request the next of `workers`, and holds requests past them. */
function grantInTurn(...workers: FakeWorker[]): (lease: LeaseRequestHandle) => void {
  return (lease) => {
    const w = workers.shift();
    if (w !== undefined) lease.grant(w);
  };
}

describe("TaskSubmitter: leases and spillbacks", () => {
  test("a request spilled back from A to B to C is granted at C; the hops it followed ask not to be spilled again", async () => {
    const o = await owner();
    const b = new FakeRaylet(o.net, { nodeId: "node-B" });
    const c = new FakeRaylet(o.net, { nodeId: "node-C" });
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.spillback(b));
    b.onLease((l) => l.spillback(c));
    c.onLease((l) => l.grant(w));
    const r = o.submit();
    await eventually(() => finished(o, r), "the task finished");
    assert.equal(o.errorOf(r), undefined);
    assert.deepEqual(names(w), ["f"]);
    const [atA, atB, atC] = [o.raylet.leases, b.leases, c.leases].map((ls) => ls.map((l) => l.request));
    assert.equal(atA?.length, 1);
    assert.equal(atB?.length, 1);
    assert.equal(atC?.length, 1);
    assert.equal(atA?.[0]?.noSpillback, undefined, "the first ask may be spilled");
    assert.equal(atB?.[0]?.noSpillback, true);
    assert.equal(atC?.[0]?.noSpillback, true);
    assert.equal(atC?.[0]?.requestId, atA?.[0]?.requestId, "one request, followed");
    // The lease goes back to the raylet that granted it once idle.
    o.clock.advance(o.config.workerLeaseIdleMs);
    await settle();
    assert.deepEqual(c.received("returnLease"), [{ leaseId: "node-C-lease-1", disconnect: false }]);
    assert.deepEqual(o.raylet.received("returnLease"), []);
  });

  test(`a request spilled back maxLeaseSpillbacks (${SMALL.maxLeaseSpillbacks}) times fails its task with LeaseFailedError`, async () => {
    const o = await owner();
    const b = new FakeRaylet(o.net, { nodeId: "node-B" });
    o.raylet.onLease((l) => l.spillback(b));
    b.onLease((l) => l.spillback(o.raylet)); // the views disagree forever
    const r = o.submit();
    await eventually(() => finished(o, r), "the task failed");
    const error = o.errorOf(r);
    assert.ok(error instanceof LeaseFailedError, String(error));
    assert.equal(error.code, "LUX_LEASE_FAILED");
    assert.match(error.message, new RegExp(`spilled back ${o.config.maxLeaseSpillbacks} times`));
    assert.equal(o.raylet.leases.length + b.leases.length, o.config.maxLeaseSpillbacks + 1);
  });

  test("a spillback to a node that cannot be reached asks the local raylet again after a pause on the clock", async () => {
    const o = await owner();
    const gone = new FakeRaylet(o.net, { nodeId: "node-gone" });
    gone.die();
    const w = new FakeWorker(o.net);
    let asked = 0;
    o.raylet.onLease((l) => (++asked === 1 ? l.spillback(gone) : l.grant(w)));
    const r = o.submit();
    await settle();
    assert.equal(o.raylet.leases.length, 1, "waits before asking again");
    o.clock.advance(o.config.spillbackRetryMs);
    await eventually(() => finished(o, r), "the task finished");
    assert.equal(o.raylet.leases.length, 2);
    assert.equal(o.raylet.leases[1]?.request.noSpillback, undefined, "placed afresh");
    assert.deepEqual(names(w), ["f"]);
  });

  test("lease requests no queued task needs any more are withdrawn", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const tasks = [o.submit(), o.submit(), o.submit()];
    await settle();
    assert.equal(o.raylet.leases.length, 3, "one request per queued task");
    o.raylet.leases[0]?.grant(w);
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    assert.deepEqual(names(w), ["f", "f", "f"], "the one lease ran them in turn");
    const withdrawn = o.raylet.received("cancelLeaseRequest").map((c) => c.requestId);
    assert.deepEqual(withdrawn.sort(), [o.raylet.leases[1]?.request.requestId, o.raylet.leases[2]?.request.requestId].sort());
    assert.deepEqual(o.raylet.pendingLeases, [], "the raylet answered them { cancelled: true }");
  });

  test("a lease of a dead node is dropped when idle: the next task asks for a new one", async () => {
    const o = await owner();
    const b = new FakeRaylet(o.net, { nodeId: "node-B" });
    const wB = new FakeWorker(o.net);
    const wA = new FakeWorker(o.net);
    o.raylet.onLease((l) => (o.raylet.leases.length === 1 ? l.spillback(b) : l.grant(wA)));
    b.onLease((l) => l.grant(wB));
    const first = o.submit();
    await eventually(() => finished(o, first), "the first task finished");
    o.submitter.nodeDied("node-B");
    const second = o.submit();
    await eventually(() => finished(o, second), "the second task finished");
    assert.deepEqual(names(wB), ["f"], "nothing more went to the dead node's worker");
    assert.deepEqual(names(wA), ["f"]);
    assert.equal(o.raylet.leases.length, 2);
    assert.deepEqual(b.received("returnLease"), [], "nothing is returned to a dead node");
  });
  test("a task running on a node declared dead is retried elsewhere at once (its worker may hang, never closing)", async () => {
    const o = await owner();
    const b = new FakeRaylet(o.net, { nodeId: "node-B" });
    const hung = new FakeWorker(o.net);
    const wA = new FakeWorker(o.net);
    hung.hold(); // a frozen machine: no reply, no close
    o.raylet.onLease((l) => (o.raylet.leases.length === 1 ? l.spillback(b) : l.grant(wA)));
    b.onLease((l) => l.grant(hung));
    const r = o.submit({ maxRetries: 1 });
    await eventually(() => hung.pushes.length === 1, "the task runs on node B");
    o.submitter.nodeDied("node-B");
    await eventually(() => finished(o, r), "the task finished");
    assert.equal(o.errorOf(r), undefined);
    assert.deepEqual(wA.tasks.map((t) => t.taskId), [r.spec.taskId]);
    assert.equal(r.retriesLeft, 0, "it counts as a retry");
  });
});

describe("TaskSubmitter: pipelining", () => {
  test("tasks pipelined to one worker and handed back return to the queue in submission order, not as retries", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w)); // one worker; every other request waits
    const n = 40;
    const tasks = Array.from({ length: n }, (_, i) => o.submit({ name: `t${i}`, maxRetries: 2 }));
    await eventually(() => w.pushes.length > 1, "tasks were pipelined to the worker");
    const first = w.pushes.length;
    assert.ok(first > 2 && first < n, `pipelined ${first} of ${n} beside the lease requests still waiting`);
    assert.deepEqual(names(w), tasks.slice(0, first).map((r) => r.spec.name));
    // The first runs long: the worker hands the others back unstarted.
    for (const push of w.pushes.slice(1)) push.requeue();
    await settle();
    assert.equal(w.pushes.length, first, "while its task runs, the worker that handed tasks back gets no new ones");
    w.onPush((push) => push.reply());
    w.pushes[0]?.reply();
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    assert.deepEqual(
      names(w).slice(first),
      tasks.slice(1).map((r) => r.spec.name),
      "the handed-back tasks ran next, in submission order, then the rest",
    );
    for (const r of tasks) {
      assert.equal(o.errorOf(r), undefined);
      assert.equal(r.retriesLeft, 2, `${r.spec.name}: a hand-back is not a retry`);
    }
  });
});

describe("TaskSubmitter: pipelined tasks do not share their worker's fate", () => {
  test("when a worker dies, the task it ran is charged; the ones pipelined behind it go back uncharged, in submission order (maxRetries 0)", async () => {
    const o = await owner();
    const w1 = new FakeWorker(o.net);
    const w2 = new FakeWorker(o.net);
    w1.hold();
    o.raylet.onLease(grantInTurn(w1)); // one worker; every other request waits
    const n = 40;
    const tasks = Array.from({ length: n }, (_, i) => o.submit({ name: `t${i}`, maxRetries: 0 }));
    await eventually(() => w1.pushes.length > 2, "tasks were pipelined to the worker");
    const pipelined = w1.pushes.length;
    w1.die({ signal: "SIGKILL" });
    o.raylet.leases[1]?.grant(w2); // a request that waited at the raylet
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    const crashed = o.errorOf(tasks[0] as TaskRecord);
    assert.ok(crashed instanceof WorkerCrashedError, String(crashed));
    for (const r of tasks.slice(1)) {
      assert.equal(o.errorOf(r), undefined, `${r.spec.name} did not share the worker's fate`);
      assert.equal(r.retriesLeft, 0);
    }
    assert.deepEqual(names(w2), tasks.slice(1).map((r) => r.spec.name), `the ${pipelined - 1} that never started ran next, in submission order`);
    assert.deepEqual(o.raylet.received("getWorkerExit"), [{ workerId: w1.workerId }], "asked how it died for the charged task only");
  });

  test("a node declared dead: pipelined tasks behind the one running there go back uncharged", async () => {
    const o = await owner();
    const b = new FakeRaylet(o.net, { nodeId: "node-B" });
    const hung = new FakeWorker(o.net);
    const wA = new FakeWorker(o.net);
    hung.hold();
    let asked = 0;
    o.raylet.onLease((l) => (++asked === 1 ? l.spillback(b) : undefined)); // the others wait
    b.onLease((l) => l.grant(hung));
    const tasks = Array.from({ length: 12 }, (_, i) => o.submit({ name: `t${i}`, maxRetries: 1 }));
    await eventually(() => hung.pushes.length > 2, "tasks were pipelined to the worker on node B");
    o.submitter.nodeDied("node-B");
    o.raylet.leases[1]?.grant(wA); // a request that waited at the raylet
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    for (const r of tasks) assert.equal(o.errorOf(r), undefined);
    assert.equal(tasks[0]?.retriesLeft, 0, "the task that ran there was charged");
    for (const r of tasks.slice(1)) assert.equal(r.retriesLeft, 1, `${r.spec.name} was not`);
  });

  test("nothing is pipelined behind a call of a function not known to hand back; a call seen to hold the thread stops it again", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w)); // one worker; every other request waits
    const slow: TaskPace = { handsBack: false };
    o.submit({ name: "slow" }, [], slow);
    const quick = Array.from({ length: 10 }, (_, i) => o.submit({ name: `q${i}` }));
    await eventually(() => w.pushes.length === 1, "the first task reached the worker");
    await settle();
    assert.deepEqual(names(w), ["slow"], "no task waits behind a call that may hold the worker's thread");
    w.pushes[0]?.reply();
    await eventually(() => w.pushes.length > 2, "the quick tasks were pipelined once it replied");
    assert.equal(slow.handsBack, true, "it replied without holding the thread: calls of it hand back");
    w.onPush((p) => p.reply());
    for (const p of w.held) p.reply();
    await eventually(() => quick.every((r) => finished(o, r)), "the quick tasks finished");

    // More tasks than lease requests: the surplus is pipelined, here behind a known function.
    const burst = o.config.maxPendingLeaseRequests + 4;
    w.hold();
    o.submit({ name: "slow" }, [], slow);
    for (let i = 0; i < burst; i++) o.submit({ name: "q" });
    await eventually(() => w.held.length > 1, "quick tasks were pipelined behind a call of a function known to hand back");
    w.onPush((p) => p.reply());
    w.held[0]?.replyAfterHoldingThread();
    for (const p of w.held) p.reply();
    await eventually(() => w.held.length === 0 && o.raylet.pendingLeases.length === 0, "all answered");
    assert.equal(slow.handsBack, false, "a call that held the thread: nothing waits behind the next one");
    w.hold();
    const before = w.pushes.length;
    o.submit({ name: "slow" }, [], slow);
    for (let i = 0; i < burst; i++) o.submit({ name: "q" });
    await eventually(() => w.pushes.length === before + 1, "the slow call was pushed");
    await settle();
    assert.equal(w.pushes.length, before + 1, "the quick ones wait for workers of their own, not behind it");
  });
});

describe("TaskSubmitter: worker deaths and start failures", () => {
  test("a task whose worker dies is retried on a new lease while it has retries; the dead lease goes back with disconnect", async () => {
    const o = await owner();
    const w1 = new FakeWorker(o.net);
    const w2 = new FakeWorker(o.net);
    w1.hold();
    o.raylet.onLease(grantInTurn(w1, w2));
    const r = o.submit({ maxRetries: 1 });
    await eventually(() => w1.pushes.length === 1, "the task reached the first worker");
    w1.die();
    await eventually(() => finished(o, r), "the task finished");
    assert.equal(o.errorOf(r), undefined);
    assert.deepEqual(w2.tasks.map((t) => t.taskId), [r.spec.taskId], "the same task ran again");
    assert.equal(r.retriesLeft, 0);
    assert.deepEqual(o.raylet.received("returnLease"), [{ leaseId: `${o.raylet.nodeId}-lease-1`, disconnect: true }]);
  });

  test("a task whose worker dies with no retries left fails with WorkerCrashedError saying how the worker ended", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w));
    const r = o.submit({ maxRetries: 0 });
    await eventually(() => w.pushes.length === 1, "the task reached the worker");
    w.die({ exitCode: 137 });
    await eventually(() => finished(o, r), "the task failed");
    const error = o.errorOf(r);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.equal(error.exitCode, 137, "from the raylet's getWorkerExit");
    assert.deepEqual(o.raylet.received("getWorkerExit"), [{ workerId: w.workerId }]);
    assert.equal(o.raylet.leases.length, 1, "not retried");
  });

  test("lease requests that fail (workers that cannot start) count against the task's retries and then fail it", async () => {
    const o = await owner();
    o.raylet.onLease((l) => l.fail(new LuxError("worker process exited with code 1 before it registered")));
    const r = o.submit({ maxRetries: 2 });
    await eventually(() => finished(o, r), "the task failed");
    const error = o.errorOf(r);
    assert.ok(error instanceof LeaseFailedError, String(error));
    assert.match(error.message, /before it registered/);
    assert.equal(o.raylet.leases.length, 3, "the first try and two retries");
  });

  test(`a shape whose workers fail to start maxWorkerStartFailures (${SMALL.maxWorkerStartFailures}) times in a row fails its task even with unlimited retries`, async () => {
    const o = await owner();
    o.raylet.onLease((l) => l.fail(new LuxError("worker process exited with code 1 before it registered")));
    const r = o.submit({ maxRetries: -1 });
    await eventually(() => finished(o, r), "the task failed");
    assert.ok(o.errorOf(r) instanceof LeaseFailedError);
    assert.equal(o.raylet.leases.length, o.config.maxWorkerStartFailures);
  });

  test("a granted lease clears the count of start failures", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    let asked = 0;
    // Fails all but every maxWorkerStartFailures-th request: never that many in a row.
    const every = o.config.maxWorkerStartFailures;
    o.raylet.onLease((l) => (++asked % every === 0 ? l.grant(w) : l.fail(new LuxError("no worker"))));
    const tasks = [o.submit({ maxRetries: -1 })];
    await eventually(() => finished(o, tasks[0] as TaskRecord), "the first task finished");
    o.clock.advance(o.config.workerLeaseIdleMs); // its lease goes back
    await settle();
    tasks.push(o.submit({ maxRetries: -1 }));
    await eventually(() => finished(o, tasks[1] as TaskRecord), "the second task finished");
    for (const r of tasks) assert.equal(o.errorOf(r), undefined);
    assert.equal(asked, 2 * every);
  });
});

describe("TaskSubmitter: idle leases", () => {
  test("a lease idle for workerLeaseIdleMs goes back to its raylet; a task before that reuses it", async () => {
    const o = await owner();
    const idleMs = o.config.workerLeaseIdleMs;
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    const first = o.submit();
    await eventually(() => finished(o, first), "the first task finished");
    o.clock.advance(idleMs - 1);
    const second = o.submit();
    await eventually(() => finished(o, second), "the second task finished");
    assert.equal(o.raylet.leases.length, 1, "the idle lease ran it: no new request");
    // Idle again from the second task's end: the full idle time counts from there.
    o.clock.advance(idleMs - 1);
    await settle();
    assert.deepEqual(o.raylet.received("returnLease"), [], "not idle long enough yet");
    o.clock.advance(1);
    await settle();
    assert.deepEqual(o.raylet.received("returnLease"), [{ leaseId: `${o.raylet.nodeId}-lease-1`, disconnect: false }]);
    const third = o.submit();
    await eventually(() => finished(o, third), "the third task finished");
    assert.equal(o.raylet.leases.length, 2, "returned: the next task needs a new lease");
    o.submitter.close();
    assert.equal(o.clock.pendingTimers, 0, "closing cancels the idle timer");
  });

  test("a closed submitter returns nothing later: its idle timers are cancelled", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    const r = o.submit();
    await eventually(() => finished(o, r), "the task finished");
    assert.equal(o.clock.pendingTimers, 1, "the idle timer of the lease");
    o.submitter.close();
    o.clock.advance(o.config.workerLeaseIdleMs * 10);
    await settle();
    assert.deepEqual(o.raylet.received("returnLease"), []);
  });
});

describe("cancel", () => {
  test("a queued task leaves the queue: it is never pushed and fails with TaskCancelledError", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const r = o.submit();
    await settle();
    assert.equal(r.state, "queued");
    await o.canceller.cancel(o.refs(r)[0]!, false, false);
    assert.ok(o.errorOf(r) instanceof TaskCancelledError);
    o.raylet.leases[0]?.grant(w);
    await settle();
    assert.deepEqual(w.tasks, [], "never pushed");
    assert.deepEqual(o.raylet.received("killWorker"), []);
  });

  test("a running task is failed at once and its worker asked to cancel it; its late reply changes nothing", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease((l) => l.grant(w));
    const r = o.submit();
    await eventually(() => w.pushes.length === 1, "the task is running");
    await o.canceller.cancel(o.refs(r)[0]!, false, true);
    assert.ok(o.errorOf(r) instanceof TaskCancelledError);
    await eventually(() => w.received("cancelTask").length === 1, "the worker was asked");
    assert.deepEqual(w.received("cancelTask"), [{ taskId: r.spec.taskId, recursive: true }]);
    w.pushes[0]?.reply();
    await settle();
    assert.ok(o.errorOf(r) instanceof TaskCancelledError, "still cancelled");
    assert.ok(w.alive);
  });

  test("a running task cancelled with force has its worker killed by the raylet, and is not retried", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const spare = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w, spare));
    const r = o.submit({ maxRetries: 3 });
    await eventually(() => w.pushes.length === 1, "the task is running");
    await o.canceller.cancel(o.refs(r)[0]!, true, false);
    assert.deepEqual(o.raylet.received("killWorker").map((k) => k.workerId), [w.workerId]);
    assert.equal(w.alive, false);
    await settle();
    assert.ok(o.errorOf(r) instanceof TaskCancelledError);
    assert.deepEqual(spare.tasks, [], "not retried elsewhere");
    assert.equal(o.raylet.leases.length, 1);
    assert.equal(r.retriesLeft, 3);
  });
  test("a task cancelled with force while pipelined behind another is not started and kills no worker", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w)); // one worker; every other request waits
    // More tasks than the lease requests that may wait: the rest are pipelined to the one worker.
    const tasks = Array.from({ length: 12 }, (_, i) => o.submit({ name: `t${i}` }));
    await eventually(() => w.pushes.length >= 2, "tasks were pipelined to the one worker");
    await o.canceller.cancel(o.refs(tasks[1] as TaskRecord)[0]!, true, false);
    assert.ok(o.errorOf(tasks[1] as TaskRecord) instanceof TaskCancelledError);
    assert.deepEqual(o.raylet.received("killWorker"), [], "the worker runs another task: it is not killed");
    assert.ok(w.alive);
    await eventually(() => w.received("cancelTask").length === 1, "the worker was told to skip it");
    assert.deepEqual(w.received("cancelTask"), [{ taskId: tasks[1]?.spec.taskId, recursive: false }]);
    // The first, running, is the one force may kill.
    await o.canceller.cancel(o.refs(tasks[0] as TaskRecord)[0]!, true, false);
    assert.deepEqual(o.raylet.received("killWorker").map((k) => k.workerId), [w.workerId]);
  });
});

describe("TaskSubmitter: SPREAD", () => {
  /** Grants the first `n` requests with `workers` in turn; holds the others (returned) for the test to grant. */
  function grantFirst(o: FakeOwner, workers: FakeWorker[]): LeaseRequestHandle[] {
    const held: LeaseRequestHandle[] = [];
    const pool = [...workers];
    o.raylet.onLease((l) => {
      const w = pool.shift();
      if (w !== undefined) l.grant(w);
      else held.push(l);
    });
    return held;
  }

  test("a SPREAD task waits for the lease requested for it, not the worker that frees up first; the idle one goes back", async () => {
    const o = await owner();
    const [local, b, c] = [new FakeWorker(o.net), new FakeWorker(o.net), new FakeWorker(o.net)];
    for (const w of [local, b, c]) w.onPush((push) => push.reply());
    const held = grantFirst(o, [local]);
    const tasks = ["t0", "t1", "t2"].map((name) => o.submit({ name, strategy: "SPREAD" }));
    await eventually(() => finished(o, tasks[0] as TaskRecord) && held.length === 2, "t0 ran, two requests wait");
    await settle();
    assert.deepEqual(names(local), ["t0"], "t1 and t2 wait for their own leases");
    held[0]?.grant(b);
    held[1]?.grant(c);
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    assert.deepEqual([names(b), names(c)], [["t1"], ["t2"]]);
    o.clock.advance(o.config.workerLeaseIdleMs);
    await settle();
    assert.equal(o.raylet.received("returnLease").length, 3, "every lease went back once idle, the first one too");
  });

  test("SPREAD tasks are not pipelined; those beyond the lease requests reuse workers as they free up", async () => {
    const o = await owner();
    const first = Array.from({ length: 6 }, () => new FakeWorker(o.net));
    for (const w of first) w.hold();
    const held = grantFirst(o, first);
    const tasks = Array.from({ length: 12 }, (_, i) => o.submit({ name: `t${i}`, strategy: "SPREAD" }));
    await eventually(() => first.every((w) => w.pushes.length === 1), "one task on each of the 6 workers");
    await eventually(() => held.length === o.config.maxPendingLeaseRequests, "requests for the 6 others wait");
    await settle();
    assert.deepEqual(first.map((w) => w.pushes.length), first.map(() => 1), "nothing pipelined");
    // 6 queued, 4 of them with a request: 2 may take a worker that frees up.
    for (const w of first) w.onPush((push) => push.reply());
    for (const w of first) w.held[0]?.reply();
    await eventually(() => tasks.slice(0, 8).every((r) => finished(o, r)), "t0..t7 finished");
    await settle();
    assert.equal(first.reduce((n, w) => n + w.pushes.length, 0), 8, "the last 4 wait for their own leases");
    const later = held.map(() => new FakeWorker(o.net));
    for (const w of later) w.onPush((push) => push.reply());
    held.forEach((l, i) => l.grant(later[i] as FakeWorker));
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    assert.deepEqual(later.map(names), [["t8"], ["t9"], ["t10"], ["t11"]]);
  });
});

describe("TaskSubmitter: workers killed for lack of memory", () => {
  const OOM: OutOfMemoryInfo = {
    nodeId: "node-A",
    nodeAddress: "127.0.0.1:7000",
    usedBytes: 980,
    capacityBytes: 1000,
    threshold: 0.95,
    topUsers: [{ pid: 77, rssBytes: 900, name: "task f" }],
  };
  const killed = { signal: "SIGKILL", outOfMemory: OOM };

  test("a task killed for memory runs again after oomRetryDelayMs, doubled at each such kill; a crash is retried at once", async () => {
    const o = await owner();
    const [w1, w2, w3, w4] = [new FakeWorker(o.net), new FakeWorker(o.net), new FakeWorker(o.net), new FakeWorker(o.net)];
    for (const w of [w1, w2, w3]) w.hold();
    o.raylet.onLease(grantInTurn(w1, w2, w3, w4));
    const delay = o.config.oomRetryDelayMs;
    const r = o.submit({ maxRetries: 3 });
    await eventually(() => w1.pushes.length === 1, "the first run");
    w1.die(killed);
    await settle();
    o.clock.advance(delay - 1);
    await settle();
    assert.equal(o.raylet.leases.length, 1, "not run again before the pause");
    o.clock.advance(1);
    await eventually(() => w2.pushes.length === 1, "the second run, after the pause");
    w2.die(killed);
    await settle();
    o.clock.advance(2 * delay - 1);
    await settle();
    assert.equal(o.raylet.leases.length, 2, "the second pause is twice as long");
    o.clock.advance(1);
    await eventually(() => w3.pushes.length === 1, "the third run");
    w3.die({ exitCode: 1 }); // a plain crash: at once
    await eventually(() => finished(o, r), "the fourth run finished");
    assert.equal(o.errorOf(r), undefined);
    assert.equal(w4.tasks.length, 1);
    assert.equal(r.retriesLeft, 0, "every kill and crash counted against maxRetries");
  });

  test("out of retries, it fails with OutOfMemoryError naming the task and the node's memory", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w));
    const r = o.submit({ maxRetries: 0, name: "grow" });
    await eventually(() => w.pushes.length === 1, "the run");
    w.die(killed);
    await eventually(() => finished(o, r), "the task failed");
    const error = o.errorOf(r);
    assert.ok(error instanceof OutOfMemoryError, String(error));
    assert.equal(error.task, "grow");
    assert.equal(error.taskId, r.spec.taskId);
    assert.deepEqual({ ...error }, { code: "LUX_OUT_OF_MEMORY", task: "grow", taskId: r.spec.taskId, ...OOM });
    assert.match(error.message, /task grow .* node-A \(127\.0\.0\.1:7000\): the node used 980 bytes of 1000 bytes \(98\.0%\), above its memory usage threshold of 95\.0%/);
    assert.match(error.message, /pid 77 \(task f\) 900 bytes/);
  });

  test("a task cancelled during its pause after a kill is not run again", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    w.hold();
    o.raylet.onLease(grantInTurn(w));
    const r = o.submit({ maxRetries: 1 });
    await eventually(() => w.pushes.length === 1, "the run");
    w.die(killed);
    await eventually(() => r.state === "queued", "the pause");
    await o.canceller.cancelRecord(r, false, false);
    o.clock.advance(o.config.oomRetryDelayMs);
    await settle();
    assert.ok(o.errorOf(r) instanceof TaskCancelledError);
    assert.equal(o.raylet.leases.length, 1);
  });

  test("lease requests say whether their tasks can be retried; retriable tasks and others do not share leases", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    const once = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(l.request.retriable === true ? w : once));
    const tasks = [o.submit({ maxRetries: 3 }), o.submit({ maxRetries: 0 }), o.submit({ maxRetries: -1 })];
    await eventually(() => tasks.every((r) => finished(o, r)), "every task finished");
    assert.deepEqual(o.raylet.leases.map((l) => l.request.retriable).sort(), [true, true, undefined].sort());
    assert.equal(once.tasks.length, 1, "only the task without retries ran on its lease");
  });
});
