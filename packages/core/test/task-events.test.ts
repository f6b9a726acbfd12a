/**
 * A process's task events (issue 16, point 3) on a FakeClock and a scripted control
 * service: sent every taskEventsReportIntervalMs in one columnar batch, at once past
 * taskEventsBatchMax, one batch in flight; a task's events in one batch become one (submitted
 * and finished; a run's start and end), a run going on when a batch leaves is sent as
 * RUNNING; past taskEventsRateMax quick tasks are left out and counted as dropped; past
 * taskEventsBufferMax new events are dropped and counted per job, and so are those of a
 * batch the control service did not take; nothing is sent while the control service is away.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock, TASK_ERROR_STACK_MAX, TASK_EVENT, type GcsService, type RpcCaller, type TaskEventBatch, type TaskSpec } from "@lux/protocol";
import { TaskError, defaultConfig } from "@lux/common";
import { TaskEvents, type EventRow } from "../src/task-events.js";

interface Call {
  batch: TaskEventBatch;
  reply(): void;
  fail(e: Error): void;
}

/** A control service whose replies to reportTaskEvents the test gives. */
function fakeGcs(): { gcs: RpcCaller<GcsService>; calls: Call[]; setState(s: string): void } {
  const calls: Call[] = [];
  let state = "open";
  const gcs = {
    peer: "gcs",
    get state() {
      return state;
    },
    call: (method: string, batch: TaskEventBatch) => {
      assert.equal(method, "reportTaskEvents");
      return new Promise((resolve, reject) => calls.push({ batch, reply: () => resolve({ ok: true }), fail: reject }));
    },
    notify: () => undefined,
    onClose: () => undefined,
    close: () => undefined,
  } as unknown as RpcCaller<GcsService>;
  return { gcs, calls, setState: (s) => (state = s) };
}

/** A task's spec; `reported`: its owner reports its events (the executor's side of a test). */
const spec = (taskId: string, jobId = "j1", actorId?: string, reported = true): TaskSpec =>
  ({ taskId, jobId, name: `fn-${taskId}`, functionId: "", args: new Uint8Array(), resolved: [], borrowed: [], numReturns: 0, ownerAddress: "", gpuIds: [], resources: {}, ...(reported ? { reported } : {}), ...(actorId !== undefined ? { actorId } : {}) }) as TaskSpec;

function times(batch: TaskEventBatch): number[] {
  return [...new Float64Array(batch.times.slice().buffer)];
}

function ends(batch: TaskEventBatch): number[] {
  return [...new Float64Array(batch.ends.slice().buffer)];
}

/** An owner's record of a task (`waiting`: it has an argument to wait for). */
const task = (taskId: string, jobId = "j1", actorId?: string, waiting = false, parentTaskId?: string): EventRow => ({
  spec: spec(taskId, jobId, actorId, false),
  eventRow: -1,
  unreportedSince: -1,
  state: "resolving",
  parentTaskId,
  deps: waiting ? ["arg"] : [],
});

/** Lets the promise callbacks and setImmediate of one round run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function recorder(config: Partial<Parameters<typeof defaultConfig>[0]> = {}): { events: TaskEvents; clock: FakeClock; fake: ReturnType<typeof fakeGcs> } {
  const clock = new FakeClock(1000);
  const fake = fakeGcs();
  const events = new TaskEvents({ gcs: fake.gcs, nodeId: "n1", workerId: "w1", pid: 42, clock, config: defaultConfig({ taskEventsReportIntervalMs: 1000, ...config }) });
  return { events, clock, fake };
}

describe("TaskEvents", () => {
  it("sends one columnar batch per interval: ids, codes, times, infos, errors", async () => {
    const { events, clock, fake } = recorder();
    const a = task("a", "j1", undefined, true, "parent");
    events.submitted(a);
    clock.advance(5);
    events.queued(a);
    events.started(spec("b", "j2", "actor"), 1001);
    events.failed(a, new RangeError("bad"));
    assert.equal(fake.calls.length, 0, "nothing before the interval");
    clock.advance(995);
    assert.equal(fake.calls.length, 1);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual([batch.nodeId, batch.workerId, batch.pid], ["n1", "w1", 42]);
    assert.deepEqual(batch.taskIds, ["a", "a", "a", "b"], "the run going on goes last, as RUNNING");
    assert.deepEqual([...batch.codes], [TASK_EVENT.SUBMITTED_WAITING, TASK_EVENT.QUEUED, TASK_EVENT.FAILED, TASK_EVENT.RUNNING]);
    assert.deepEqual(times(batch), [1000, 1005, 1005, 1001]);
    assert.deepEqual(batch.infos.map((i) => batch.strings[i]), ["j1", "fn-a", "", "parent", "j1", "fn-a", "", "", "j2", "fn-b", "actor", ""], "a failure carries its task's info");
    assert.deepEqual(batch.strings, ["j1", "fn-a", "", "parent", "j2", "fn-b", "actor"], "each string once");
    assert.deepEqual(batch.errors, [{ at: 2, type: "RangeError", message: "bad" }]);
    (fake.calls[0] as Call).reply();
    await tick();
    clock.advance(1000);
    assert.equal(fake.calls.length, 1, "an empty interval sends nothing (the run was sent as RUNNING once)");
    await events.close();
  });

  it("a FAILED of an error the task threw carries that error's stack (from the worker), cut to its bound", async () => {
    const { events, clock, fake } = recorder();
    const thrown = { name: "RangeError", message: "boom", stack: `RangeError: boom\n    at work (file:///job.js:7:11)\n${"x".repeat(TASK_ERROR_STACK_MAX)}` };
    const wire = { code: "LUX_TASK_FAILED", name: "TaskError", message: "task work failed: RangeError: boom", stack: "TaskError: at the owner", props: {}, cause: thrown };
    const local = new TaskError({ taskId: "b", functionName: "work", cause: Object.assign(new RangeError("boom"), { stack: "RangeError: boom\n    at work (file:///job.js:9:1)" }) });
    const [a, b, c] = [task("a"), task("b"), task("c")];
    for (const t of [a, b, c]) events.submitted(t);
    events.failed(a, wire);
    events.failed(b, local);
    events.failed(c, new RangeError("owner-side"));
    clock.advance(1000);
    const [first, second, third] = (fake.calls[0] as Call).batch.errors;
    assert.equal(first?.type, "TaskError");
    assert.equal(first?.stack, thrown.stack.slice(0, TASK_ERROR_STACK_MAX));
    assert.equal(second?.stack, "RangeError: boom\n    at work (file:///job.js:9:1)");
    assert.equal(third?.stack, undefined, "an error of the owner's own (not thrown by the task) has no remote stack");
    (fake.calls[0] as Call).reply();
    await events.close();
  });

  it("makes one event of a task's events in one batch: submitted+finished, a run's start+end", async () => {
    const { events, clock, fake } = recorder();
    const a = task("a");
    const b = task("b");
    events.submitted(a);
    events.submitted(b);
    events.queued(a); // right after its submission: nothing new
    clock.advance(3);
    events.started(b.spec, clock.now());
    clock.advance(4);
    events.ran(b.spec, false);
    events.finished(a);
    events.finished(b);
    clock.advance(993);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual(batch.taskIds, ["a", "b", "b"]);
    assert.deepEqual([...batch.codes], [TASK_EVENT.SUBMITTED_FINISHED, TASK_EVENT.SUBMITTED_FINISHED, TASK_EVENT.RUN]);
    assert.deepEqual(times(batch), [1000, 1000, 1003]);
    assert.deepEqual(ends(batch), [1007, 1007, 1007]);
    (fake.calls[0] as Call).reply();
    await tick();
    // A retry is queued again (sent), and a finish in a later batch is its own event.
    events.queued(a);
    clock.advance(1000);
    (fake.calls[1] as Call).reply();
    await tick();
    events.finished(a);
    clock.advance(1000);
    assert.deepEqual([...(fake.calls[1] as Call).batch.codes], [TASK_EVENT.QUEUED]);
    assert.deepEqual([...(fake.calls[2] as Call).batch.codes], [TASK_EVENT.FINISHED]);
    (fake.calls[2] as Call).reply();
    await events.close();
  });

  it("a run sent as RUNNING ends with RAN (or RAN_FAILED); a run that never started ends alone", async () => {
    const { events, clock, fake } = recorder();
    const s = spec("s");
    events.started(s, 1000);
    clock.advance(1000);
    (fake.calls[0] as Call).reply();
    await tick();
    events.ran(s, true);
    events.ran(spec("never"), false);
    clock.advance(1000);
    const batch = (fake.calls[1] as Call).batch;
    assert.deepEqual(batch.taskIds, ["s", "never"]);
    assert.deepEqual([...batch.codes], [TASK_EVENT.RAN_FAILED, TASK_EVENT.RAN]);
    assert.deepEqual(batch.infos, [], "their info went with RUNNING, or comes from the owner");
    (fake.calls[1] as Call).reply();
    await events.close();
  });

  it("past taskEventsRateMax a second, tasks are not reported: their specs say so, their executors report only failed runs, the owner counts them as dropped", async () => {
    const { events, clock, fake } = recorder({ taskEventsRateMax: 2 });
    const tasks = ["a", "b", "c", "d"].map((id) => task(id));
    for (const t of tasks) events.submitted(t);
    assert.deepEqual(tasks.map((t) => t.spec.reported === true), [true, true, false, false], "the owner decides, and tells the executor in the spec");
    for (const t of tasks) {
      events.started(t.spec, clock.now());
      events.ran(t.spec, t.spec.taskId === "d");
    }
    for (const t of tasks.slice(0, 3)) events.finished(t);
    events.failed(tasks[3] as EventRow, new Error("x"));
    clock.advance(1000);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual(batch.taskIds, ["a", "b", "a", "b", "d", "d"]);
    assert.deepEqual([...batch.codes], [
      TASK_EVENT.SUBMITTED_FINISHED, TASK_EVENT.SUBMITTED_FINISHED,
      TASK_EVENT.RUN, TASK_EVENT.RUN, TASK_EVENT.RUN_FAILED, TASK_EVENT.FAILED,
    ]);
    assert.deepEqual(batch.dropped, { j1: 1 }, "c, not reported");
    (fake.calls[0] as Call).reply();
    await tick();
    // The next second has a budget of its own.
    const e = task("e");
    events.submitted(e);
    events.finished(e);
    clock.advance(1000);
    assert.deepEqual([...(fake.calls[1] as Call).batch.codes], [TASK_EVENT.SUBMITTED_FINISHED]);
    (fake.calls[1] as Call).reply();
    await events.close();
  });

  it("an unreported task is reported once pending or running a whole interval, or when retried", async () => {
    const { events, clock, fake } = recorder({ taskEventsRateMax: 1 });
    const [first, slow, retried, late] = ["first", "slow", "retried", "late"].map((id) => task(id, "j1", undefined, id === "slow")) as [EventRow, EventRow, EventRow, EventRow];
    const unfinished = [slow, retried, late];
    events.watchUnfinished(() => unfinished);
    events.submitted(first);
    events.finished(first);
    events.submitted(slow);
    events.submitted(retried);
    events.started(retried.spec, 1000);
    const runningLong = spec("running-long", "j1", undefined, false);
    events.started(runningLong, 1000);
    clock.advance(500);
    events.submitted(late);
    events.started(spec("running-short", "j1", undefined, false), 1500);
    // The run of `retried` fails, and its owner runs it again: reported from then on.
    events.ran(retried.spec, true);
    retried.state = "running";
    events.queued(retried);
    assert.equal(retried.spec.reported, true);
    clock.advance(500);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual(batch.taskIds, ["first", "retried", "retried", "retried", "running-long", "slow"]);
    assert.deepEqual([...batch.codes], [
      TASK_EVENT.SUBMITTED_FINISHED, TASK_EVENT.RUN_FAILED, TASK_EVENT.SUBMITTED, TASK_EVENT.QUEUED,
      TASK_EVENT.RUNNING, TASK_EVENT.SUBMITTED_WAITING,
    ]);
    assert.deepEqual(times(batch), [1000, 1000, 1000, 1500, 1000, 1000], "each at its submission (or start)");
    assert.equal(slow.spec.reported, true, "its executor reports its runs from now on");
    assert.equal(late.spec.reported, undefined, "half an interval old: not yet");
    (fake.calls[0] as Call).reply();
    await tick();
    clock.advance(1000);
    assert.deepEqual((fake.calls[1] as Call).batch.taskIds, ["running-short", "late"]);
    (fake.calls[1] as Call).reply();
    await events.close();
  });

  it("a task finishing 256 batches after its submission does not touch the event now at its old place", async () => {
    const { events, clock, fake } = recorder();
    const old = task("old");
    events.submitted(old);
    for (let i = 0; i < 256; i++) {
      if (i > 0) events.submitted(task(`filler${i}`));
      clock.advance(1000);
      (fake.calls[i] as Call).reply();
      await tick();
    }
    const now = task("now");
    events.submitted(now);
    events.finished(old);
    clock.advance(1000);
    const batch = (fake.calls[256] as Call).batch;
    assert.deepEqual(batch.taskIds, ["now", "old"]);
    assert.deepEqual([...batch.codes], [TASK_EVENT.SUBMITTED, TASK_EVENT.FINISHED]);
    (fake.calls[256] as Call).reply();
    await events.close();
  });

  it("sends at once past taskEventsBatchMax, one batch in flight; the rest follows its reply", async () => {
    const { events, fake } = recorder({ taskEventsBatchMax: 3 });
    for (let i = 0; i < 5; i++) events.submitted(task(`t${i}`));
    await tick();
    assert.equal(fake.calls.length, 1);
    assert.equal((fake.calls[0] as Call).batch.taskIds.length, 5, "everything waiting goes");
    for (let i = 5; i < 9; i++) events.submitted(task(`t${i}`));
    await tick();
    assert.equal(fake.calls.length, 1, "not while the first is on its way");
    (fake.calls[0] as Call).reply();
    await tick();
    await tick();
    assert.equal(fake.calls.length, 2);
    assert.deepEqual((fake.calls[1] as Call).batch.taskIds, ["t5", "t6", "t7", "t8"]);
    (fake.calls[1] as Call).reply();
    await events.close();
  });

  it("past taskEventsBufferMax, events are dropped and counted per job in the next batch", async () => {
    const { events, clock, fake } = recorder({ taskEventsBufferMax: 2, taskEventsBatchMax: 100 });
    for (const [id, job] of [["a", "j1"], ["b", "j1"], ["c", "j1"], ["d", "j2"]] as const) events.submitted(task(id, job));
    clock.advance(1000);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual(batch.taskIds, ["a", "b"]);
    assert.deepEqual(batch.dropped, { j1: 1, j2: 1 });
    (fake.calls[0] as Call).reply();
    await events.close();
  });

  it("a batch the control service did not take counts as dropped", async () => {
    const { events, clock, fake } = recorder();
    events.submitted(task("a", "j1"));
    events.submitted(task("b", "j2"));
    clock.advance(1000);
    (fake.calls[0] as Call).fail(new Error("timed out"));
    await tick();
    clock.advance(1000);
    const next = (fake.calls[1] as Call).batch;
    assert.deepEqual([next.taskIds, next.dropped], [[], { j1: 1, j2: 1 }]);
    (fake.calls[1] as Call).reply();
    await events.close();
  });

  it("sends nothing while the control service is away; close sends what is left", async () => {
    const { events, clock, fake } = recorder();
    fake.setState("reconnecting");
    events.submitted(task("a"));
    clock.advance(3000);
    assert.equal(fake.calls.length, 0, "a call now would wait for the control service and hold the process");
    fake.setState("open");
    events.submitted(task("b"));
    const closed = events.close();
    await tick();
    assert.deepEqual((fake.calls[0] as Call).batch.taskIds, ["a", "b"]);
    (fake.calls[0] as Call).reply();
    await closed;
    clock.advance(5000);
    assert.equal(fake.calls.length, 1, "nothing after close");
  });
});
