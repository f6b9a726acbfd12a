/**
 * lux.cancel (issue 2, point 10): queued and waiting tasks, force, no retries after a
 * cancel, recursive and non-recursive cancellation of the tasks a task submitted. Issue 13,
 * point 6 (Ray's test_cancel): a ref returned from inside a task is cancelled by its owner;
 * force is refused for actor calls; a running task or async actor method sees its
 * cancellation through `getRuntimeContext().signal`; a synchronous task that ignores it
 * keeps its resources until it returns.
 *
 * The node has one `slot` resource; tasks that need it run one at a time, in
 * submission order, so "queued" and "would have run by now" are deterministic.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { GateActor, RecorderActor, afterGate } from "./fixtures/actors-defs.js";
import { WaiterActor, echo, holdSlot, parent, spinUntilFile, submitsUntilCancelled, untilCancelled } from "./fixtures/cancel-defs.js";
import { descendants, pidAlive, waitFor } from "./helpers.js";

before(async () => {
  await lux.init({ numCpus: 2, resources: { slot: 1 } });
});

after(async () => {
  await lux.shutdown();
});

type Entry = { tag: string; pid: number };

async function logOf(recorder: ReturnType<typeof RecorderActor.remote>): Promise<unknown[]> {
  return lux.get(recorder.log.remote());
}

async function waitForLog(recorder: ReturnType<typeof RecorderActor.remote>, what: string, done: (log: unknown[]) => boolean): Promise<unknown[]> {
  let log: unknown[] = [];
  await waitFor(async () => done((log = await logOf(recorder))), what);
  return log;
}

test("a queued task rejects with TaskCancelledError and never runs", async () => {
  const gate = GateActor.remote();
  const recorder = RecorderActor.remote();
  const holder = holdSlot.remote(gate, recorder, "holder");
  await waitForLog(recorder, "the first task to hold the slot", (log) => log.length === 1);
  const queued = holdSlot.remote(gate, recorder, "queued");
  // A round trip: the task has left argument resolution and waits for the slot.
  assert.equal((await lux.availableResources())["slot"] ?? 0, 0);
  await lux.cancel(queued);
  await assert.rejects(lux.get(queued), lux.TaskCancelledError);
  await lux.get(gate.open.remote());
  // Tasks needing the slot run in submission order: had the cancelled one run, it would come first.
  const follower = holdSlot.remote(gate, recorder, "follower");
  assert.deepEqual(await lux.get([holder, follower]), ["holder", "follower"]);
  assert.deepEqual((await logOf(recorder)).map((e) => (e as Entry).tag), ["holder", "follower"]);
  await assert.rejects(lux.get(queued), lux.TaskCancelledError, "the cancelled result stays cancelled");
});

test("a task waiting for its arguments is cancelled before it runs", async () => {
  const gate = GateActor.remote();
  const input = afterGate.remote(gate, "input");
  const dependent = echo.remote(input);
  await lux.cancel(dependent);
  await assert.rejects(lux.get(dependent), lux.TaskCancelledError);
  await lux.get(gate.open.remote());
  assert.equal(await lux.get(input), "input", "cancelling a task leaves its arguments alone");
  await assert.rejects(lux.get(dependent), lux.TaskCancelledError);
});

test("force kills the worker running the task; the task is not retried", async () => {
  const gate = GateActor.remote();
  const recorder = RecorderActor.remote();
  const victim = holdSlot.options({ maxRetries: 3 }).remote(gate, recorder, "victim");
  const [first] = (await waitForLog(recorder, "the task to start", (log) => log.length === 1)) as Entry[];
  const pid = first!.pid;
  assert.ok(descendants(process.pid).includes(pid), "the task runs in a worker process of this cluster");
  await lux.cancel(victim, { force: true });
  await assert.rejects(lux.get(victim), lux.TaskCancelledError);
  await waitFor(() => !pidAlive(pid), "the worker running the cancelled task to be killed");
  // A round trip, so this driver has seen the worker's connection close (when a retry would be queued).
  await lux.availableResources();
  await lux.get(gate.open.remote());
  // A retry would need the slot and so run before this task.
  const follower = holdSlot.remote(gate, recorder, "follower");
  assert.equal(await lux.get(follower), "follower");
  assert.deepEqual((await logOf(recorder)).map((e) => (e as Entry).tag), ["victim", "follower"]);
});

test("recursive cancel (the default) cancels the tasks the cancelled task submitted", async () => {
  const gate = GateActor.remote();
  const recorder = RecorderActor.remote();
  try {
    const ref = parent.remote(gate, recorder);
    await waitForLog(recorder, "the child task to start", (log) => log.includes("child started"));
    await lux.cancel(ref);
    await assert.rejects(lux.get(ref), lux.TaskCancelledError);
    const log = await waitForLog(recorder, "the parent to see its child end", (l) => l.length === 2);
    assert.deepEqual(log, ["child started", "child failed: TaskCancelledError"]);
  } finally {
    await lux.get(gate.open.remote());
  }
});

test("cancel with recursive: false leaves the submitted tasks running", async () => {
  const gate = GateActor.remote();
  const recorder = RecorderActor.remote();
  const ref = parent.remote(gate, recorder);
  await waitForLog(recorder, "the child task to start", (log) => log.includes("child started"));
  await lux.cancel(ref, { recursive: false });
  await assert.rejects(lux.get(ref), lux.TaskCancelledError);
  await lux.get(gate.open.remote());
  const log = await waitForLog(recorder, "the parent to see its child end", (l) => l.length === 2);
  assert.deepEqual(log, ["child started", "child returned: child done"]);
});

test("test_cancel: a running task sees its cancellation through getRuntimeContext().signal, then ends", async () => {
  const recorder = RecorderActor.remote();
  const ref = untilCancelled.remote(recorder, "task");
  await waitForLog(recorder, "the task to start", (log) => log.includes("task started"));
  await lux.cancel(ref);
  await assert.rejects(lux.get(ref), lux.TaskCancelledError);
  await waitForLog(recorder, "the task to see its signal abort", (log) => log.includes("task aborted: TaskCancelledError"));
});

test("test_cancel: a ref returned from inside another task is cancelled by the task's owner", async () => {
  const recorder = RecorderActor.remote();
  // The inner task is owned by the outer task's worker; this driver only borrows its ref.
  const [inner] = await lux.get(submitsUntilCancelled.remote(recorder, "inner"));
  assert.ok(inner instanceof lux.ObjectRef);
  await waitForLog(recorder, "the inner task to start", (log) => log.includes("inner started"));
  await lux.cancel(inner);
  await assert.rejects(lux.get(inner), lux.TaskCancelledError);
  await waitForLog(recorder, "the inner task to see its signal abort", (log) => log.includes("inner aborted: TaskCancelledError"));
});

test("test_cancel: an async actor method sees its cancellation through the signal; force is refused for actor calls", async () => {
  const waiter = WaiterActor.remote();
  const recorder = RecorderActor.remote();
  const call = waiter.untilCancelled.remote(recorder, "method");
  await waitForLog(recorder, "the method to start", (log) => log.includes("method started"));
  const refusesForce = (e: unknown): boolean => {
    assert.ok(e instanceof lux.InvalidOptionError, `expected InvalidOptionError, got ${String(e)}`);
    assert.equal(e.option, "force");
    return true;
  };
  await assert.rejects(lux.cancel(call, { force: true }), refusesForce);
  const log = await logOf(recorder);
  assert.ok(!log.includes("method aborted: TaskCancelledError"), "a refused cancel cancels nothing");
  await lux.cancel(call);
  await assert.rejects(lux.get(call), lux.TaskCancelledError);
  await waitForLog(recorder, "the method to see its signal abort", (l) => l.includes("method aborted: TaskCancelledError"));
  // The actor lives on; force is refused for a finished call too.
  const ping = waiter.ping.remote();
  assert.equal(await lux.get(ping), "pong");
  await assert.rejects(lux.cancel(ping, { force: true }), refusesForce);
});

test("test_cancel: a synchronous task that ignores its signal keeps its resources until it returns", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-cancel-"));
  try {
    const started = path.join(dir, "started");
    const go = path.join(dir, "go");
    const ref = spinUntilFile.remote(started, go);
    await waitFor(() => fs.existsSync(started), "the synchronous task to start");
    await lux.cancel(ref);
    await assert.rejects(lux.get(ref), lux.TaskCancelledError, "its result fails at once");
    // It cannot stop: the node's only `slot` stays held (none free is left out of availableResources).
    assert.equal((await lux.availableResources())["slot"], undefined);
    fs.writeFileSync(go, "");
    await waitFor(async () => (await lux.availableResources())["slot"] === 1, "the slot to be free once the task returned");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
