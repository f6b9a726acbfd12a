/**
 * lux.cancel (issue 2, point 10): queued and waiting tasks, force, no retries after a
 * cancel, recursive and non-recursive cancellation of the tasks a task submitted.
 *
 * The node has one `slot` resource; tasks that need it run one at a time, in
 * submission order, so "queued" and "would have run by now" are deterministic.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { GateActor, RecorderActor, afterGate } from "./fixtures/actors-defs.js";
import { echo, holdSlot, parent } from "./fixtures/cancel-defs.js";
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
