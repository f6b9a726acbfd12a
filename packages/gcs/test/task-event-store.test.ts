/**
 * The control service's task store (issue 16, point 3): events of owners and executors
 * merge into one record per task whatever order their batches arrive in; at most `max`
 * tasks are kept, the oldest finished dropped first and failed ones last; drops are counted
 * per job, with the events processes could not send.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TASK_EVENT, type TaskEventBatch } from "@lux/protocol";
import { TaskEventStore } from "../src/task-event-store.js";
import { taskItem } from "../src/task-entry.js";

type Ev = [
  taskId: string,
  code: number,
  at: number,
  info?: [jobId: string, name: string, actorId?: string, parent?: string] | undefined,
  error?: [type: string, message: string] | undefined,
  end?: number,
];

/** A batch as one process sends it. */
function batch(events: Ev[], from: { nodeId?: string; workerId?: string; pid?: number; dropped?: Record<string, number> } = {}): TaskEventBatch {
  const times = new Float64Array(events.map((e) => e[2]));
  const strings: string[] = [];
  const infos: number[] = [];
  const indexOf = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const errors: TaskEventBatch["errors"] = [];
  const ends: number[] = [];
  events.forEach(([, , , info, error, end], i) => {
    if (info !== undefined) infos.push(indexOf(info[0]), indexOf(info[1]), indexOf(info[2] ?? ""), indexOf(info[3] ?? ""));
    if (error !== undefined) errors.push({ at: i, type: error[0], message: error[1] });
    if (end !== undefined) ends.push(end);
  });
  return {
    nodeId: from.nodeId ?? "n1",
    workerId: from.workerId ?? "w1",
    pid: from.pid ?? 100,
    taskIds: events.map((e) => e[0]),
    codes: new Uint8Array(events.map((e) => e[1])),
    times: new Uint8Array(times.buffer),
    ends: new Uint8Array(new Float64Array(ends).buffer),
    infos,
    strings,
    errors,
    dropped: from.dropped ?? {},
  };
}

const { SUBMITTED, SUBMITTED_WAITING, QUEUED, RUNNING, RAN, RAN_FAILED, FINISHED, FAILED, SUBMITTED_FINISHED, RUN, RUN_FAILED } = TASK_EVENT;
const noActors = (): undefined => undefined;

/** A task submitted, run and finished (or failed), at times from `t`. */
function lifecycle(taskId: string, t: number, job = "j1", failed = false): Ev[] {
  return [
    [taskId, SUBMITTED, t, [job, "f"]],
    [taskId, RUNNING, t + 1, [job, "f"]],
    [taskId, failed ? RAN_FAILED : RAN, t + 2],
    failed ? [taskId, FAILED, t + 3, [job, "f"], ["TaskError", "boom"]] : [taskId, FINISHED, t + 3],
  ];
}

describe("TaskEventStore", () => {
  it("merges the owner's and the executor's events, in either order of arrival", () => {
    const store = new TaskEventStore(10);
    // The executor's batch comes first: the task exists, running, before its owner reports it.
    store.ingest(batch([["t1", RUNNING, 20, ["j1", "incr", "a1"]], ["t1", RAN, 25]], { nodeId: "n2", workerId: "w9", pid: 9 }));
    const running = store.get("t1");
    assert.ok(running !== undefined);
    assert.equal(running.stateName(), "RUNNING");
    store.ingest(batch([["t1", SUBMITTED_WAITING, 10, ["j1", "incr", "a1", "parent"]], ["t1", QUEUED, 12], ["t1", FINISHED, 30]]));
    const item = taskItem(running, true, (id) => (id === "a1" ? "Counter" : undefined));
    assert.equal(item.state, "FINISHED");
    assert.equal(item.functionName, "Counter.incr");
    assert.equal(item.type, "ACTOR_TASK");
    assert.equal(item.parentTaskId, "parent");
    assert.deepEqual([item.nodeId, item.workerId, item.workerPid], ["n2", "w9", 9]);
    assert.deepEqual([item.creationTimeMs, item.startTimeMs, item.endTimeMs], [10, 20, 30]);
    assert.deepEqual(item.events?.map((e) => e.state), ["PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "RUNNING", "FINISHED"]);
    assert.deepEqual(item.executions, [{ nodeId: "n2", workerId: "w9", pid: 9, startTimeMs: 20, endTimeMs: 25, status: "FINISHED" }]);
  });

  it("takes a task's events merged into one: submitted+finished from its owner, a whole run from its executor", () => {
    const store = new TaskEventStore(10);
    store.ingest(batch([["t", RUN, 20, ["j", "f"], undefined, 25], ["u", RUN_FAILED, 21, ["j", "g"], undefined, 22]], { nodeId: "n2", workerId: "w2", pid: 2 }));
    // No word from t's owner yet: a run that ended without error finishes it; u's failed run waits for its owner.
    assert.deepEqual([store.get("t")?.stateName(), store.get("u")?.stateName()], ["FINISHED", "RUNNING"]);
    store.ingest(batch([["t", SUBMITTED_FINISHED, 10, ["j", "f", "", "parent"], undefined, 30], ["u", FAILED, 31, ["j", "g"], ["TaskError", "boom"]]]));
    const t = taskItem(store.get("t") as NonNullable<ReturnType<TaskEventStore["get"]>>, true, noActors);
    assert.deepEqual([t.state, t.parentTaskId, t.creationTimeMs, t.startTimeMs, t.endTimeMs], ["FINISHED", "parent", 10, 20, 25]);
    assert.deepEqual(t.executions, [{ nodeId: "n2", workerId: "w2", pid: 2, startTimeMs: 20, endTimeMs: 25, status: "FINISHED" }]);
    const u = taskItem(store.get("u") as NonNullable<ReturnType<TaskEventStore["get"]>>, true, noActors);
    assert.deepEqual([u.state, u.errorType, u.executions?.[0]?.status], ["FAILED", "TaskError", "FAILED"]);
    // The owner's events alone (its executor left its quick run out): submitted at 40, finished at 45.
    store.ingest(batch([["v", SUBMITTED_FINISHED, 40, ["j", "f"], undefined, 45]]));
    const v = taskItem(store.get("v") as NonNullable<ReturnType<TaskEventStore["get"]>>, true, noActors);
    assert.deepEqual([v.state, v.creationTimeMs, v.endTimeMs, v.nodeId], ["FINISHED", 40, 45, null]);
  });

  it("a failure is kept even when its task was dropped while pending (FAILED carries the task's info)", () => {
    const store = new TaskEventStore(1);
    store.ingest(batch([["p", SUBMITTED, 1, ["j", "f"]], ["q", SUBMITTED, 2, ["j", "f"]]]));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["q"], "p dropped while pending");
    store.ingest(batch([["p", FAILED, 3, ["j", "f"], ["TaskError", "boom"]]]));
    assert.deepEqual([...store.values()].map((e) => [e.taskId, e.stateName()]), [["p", "FAILED"]], "the failure is kept, the pending q goes");
  });

  it("events without the task's info make no task (it was dropped, or never reported)", () => {
    const store = new TaskEventStore(10);
    store.ingest(batch([["x", FINISHED, 1], ["y", RAN, 2], ["z", QUEUED, 3]]));
    assert.equal(store.size, 0);
  });

  it("a later state wins by its time; FINISHED and FAILED are final; a retry runs twice", () => {
    const store = new TaskEventStore(10);
    store.ingest(batch([["t", SUBMITTED, 1, ["j", "f"]], ["t", RUNNING, 2, ["j", "f"]], ["t", RAN_FAILED, 3]]));
    // The owner retries it: waiting for a worker again, then it runs on another one.
    store.ingest(batch([["t", QUEUED, 4]]));
    assert.equal(store.get("t")?.stateName(), "PENDING_NODE_ASSIGNMENT");
    store.ingest(batch([["t", RUNNING, 5, ["j", "f"]], ["t", RAN, 6]], { workerId: "w2" }));
    // An old event arriving late changes nothing.
    store.ingest(batch([["t", QUEUED, 3.5]]));
    assert.equal(store.get("t")?.stateName(), "RUNNING");
    store.ingest(batch([["t", FINISHED, 7]]));
    store.ingest(batch([["t", QUEUED, 8], ["t", FAILED, 9, ["j", "f"], ["X", "y"]]]));
    const item = taskItem(store.get("t") as NonNullable<ReturnType<TaskEventStore["get"]>>, true, noActors);
    assert.equal(item.state, "FINISHED");
    assert.equal(item.errorType, null);
    assert.deepEqual(item.executions?.map((x) => [x.workerId, x.status]), [["w1", "FAILED"], ["w2", "FINISHED"]]);
  });

  it("keeps at most max tasks: the oldest finished go first, then pending or running, failed last", () => {
    const store = new TaskEventStore(4);
    store.ingest(batch([...lifecycle("fail1", 1, "j1", true), ...lifecycle("ok1", 2), ...lifecycle("ok2", 3), ...lifecycle("fail2", 4, "j2", true)]));
    store.ingest(batch([["live1", SUBMITTED, 5, ["j1", "f"]]]));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["fail1", "ok2", "fail2", "live1"], "the first task to finish went first");
    store.ingest(batch([...lifecycle("ok3", 6), ["live2", SUBMITTED, 7, ["j2", "f"]]]));
    // ok2 then ok3 (finished) go; next the oldest still pending, before any failure.
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["fail1", "fail2", "live1", "live2"]);
    store.ingest(batch([["live3", SUBMITTED, 8, ["j1", "f"]]]));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["fail1", "fail2", "live2", "live3"]);
    store.ingest(batch([...lifecycle("fail3", 9, "j1", true), ...lifecycle("fail4", 10, "j1", true), ...lifecycle("fail5", 11, "j1", true)]));
    assert.deepEqual([...store.values()].map((e) => e.taskId).sort(), ["fail2", "fail3", "fail4", "fail5"], "only failures are left; the oldest went");
    assert.equal(store.size, 4);
    // Dropped: ok1 ok2 ok3 live1 fail1 (j1, j1, j1, j1, j1), live2 live3 (j2, j1).
    assert.equal(store.dropped("j1"), 6);
    assert.equal(store.dropped("j2"), 1);
    assert.equal(store.dropped(), 7);
  });

  it("a dropped task's later events (its executor's, after its owner's) do not bring it back", () => {
    const store = new TaskEventStore(2);
    // The owner's batch: three tasks submitted and finished; the first to finish is dropped.
    store.ingest(batch(["a", "b", "c"].flatMap((id, i): Ev[] => [[id, SUBMITTED, i, ["j", "f"]], [id, FINISHED, 10 + i]])));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["b", "c"]);
    // The executor's batch comes after: "a" stays dropped, counted once; the others get their runs.
    store.ingest(batch(["a", "b", "c"].flatMap((id, i): Ev[] => [[id, RUNNING, 5 + i, ["j", "f"]], [id, RAN, 6 + i]])));
    assert.deepEqual([...store.values()].map((e) => [e.taskId, e.stateName(), e.executions?.length]), [["b", "FINISHED", 1], ["c", "FINISHED", 1]]);
    assert.equal(store.dropped("j"), 1);
  });

  it("a dropped task's owner events arriving after its executor's do not bring it back without its run", () => {
    const store = new TaskEventStore(2);
    // The executor's batch first: whole runs of three tasks; the first is dropped.
    store.ingest(batch(["a", "b", "c"].map((id, i): Ev => [id, RUN, 5 + i, ["j", "f"], undefined, 6 + i])));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["b", "c"]);
    // Then its owner's: "a" stays dropped (counted once), and is not listed as a task with no run.
    store.ingest(batch(["a", "b", "c"].map((id, i): Ev => [id, SUBMITTED_FINISHED, i, ["j", "f"], undefined, 10 + i])));
    assert.deepEqual([...store.values()].map((e) => [e.taskId, e.stateName(), e.executions?.length]), [["b", "FINISHED", 1], ["c", "FINISHED", 1]]);
    assert.equal(store.dropped("j"), 1);
  });

  it("remembers the last 5,000 to 10,000 dropped tasks, so their late events do not bring them back", () => {
    const store = new TaskEventStore(1);
    const ids = Array.from({ length: 12_000 }, (_, i) => `t${i}`);
    // Runs first (executors' batches), so nothing else keeps a late owner event out.
    store.ingest(batch(ids.map((id, i): Ev => [id, RUN, i, ["j", "f"], undefined, i + 0.5])));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["t11999"]);
    // The owners' events of the last 5,000 dropped come late: none comes back.
    store.ingest(batch(ids.slice(6_999, 11_999).map((id, i): Ev => [id, SUBMITTED_FINISHED, i, ["j", "f"], undefined, i + 1])));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["t11999"]);
    assert.equal(store.dropped("j"), 11_999);
  });

  it("a task whose run failed is kept like a failure until its owner decides", () => {
    const store = new TaskEventStore(2);
    store.ingest(batch([["x", RUNNING, 1, ["j", "f"]], ["x", RAN_FAILED, 2]]));
    store.ingest(batch([["p", SUBMITTED, 3, ["j", "f"]], ["q", SUBMITTED, 4, ["j", "f"]]]));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["x", "q"], "the pending p went before x");
    store.ingest(batch([["x", FINISHED, 5]])); // retried and done: an ordinary finished task again
    store.ingest(batch([["r", SUBMITTED, 6, ["j", "f"]]]));
    assert.deepEqual([...store.values()].map((e) => e.taskId), ["q", "r"]);
  });

  it("counts the events processes could not send with the job's drops", () => {
    const store = new TaskEventStore(10);
    store.ingest(batch([], { dropped: { j1: 5, j2: 1 } }));
    store.ingest(batch([], { dropped: { j1: 2 } }));
    assert.equal(store.dropped("j1"), 7);
    assert.equal(store.dropped("j2"), 1);
    assert.equal(store.dropped("none"), 0);
  });

  it("a run that ends without starting (its code could not load) is one of no length", () => {
    const store = new TaskEventStore(10);
    store.ingest(batch([["t", SUBMITTED, 1, ["j", "f"]], ["t", RAN_FAILED, 2], ["t", FAILED, 3, ["j", "f"], ["TaskError", "no such module"]]]));
    const item = taskItem(store.get("t") as NonNullable<ReturnType<TaskEventStore["get"]>>, true, noActors);
    assert.deepEqual(item.executions?.map((x) => [x.startTimeMs, x.endTimeMs, x.status]), [[2, 2, "FAILED"]]);
    assert.deepEqual([item.errorType, item.errorMessage], ["TaskError", "no such module"]);
  });

  it("reads times from bytes that are not 8-byte aligned in their buffer", () => {
    const store = new TaskEventStore(10);
    const b = batch([["t", SUBMITTED, 42.5, ["j", "f"]]]);
    const shifted = new Uint8Array(b.times.byteLength + 1).subarray(1);
    shifted.set(b.times);
    store.ingest({ ...b, times: shifted });
    assert.equal(store.get("t")?.createdAt, 42.5);
  });
});
