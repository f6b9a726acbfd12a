/**
 * PlainTask: a normal task's record and spec in one object, what the calls of a definition
 * share read through their TaskHead, what a task rarely has (ref arguments, a parent, resolved
 * arguments, GPU ids) on the prototype until it is set. Its wire form is a plain spec's; what
 * one task sets of its own leaves every other as it was; a connection keeps no spec it sent
 * alive (a plain task holds its argument refs). FakeOwner's `submit` makes PlainTasks as
 * CoreWorker.submitTask does, so the submitter, results and reference counting tests run
 * through them too.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newTaskId } from "@lux/common";
import { decodeTaskSpec, encodeTaskSpec, type TaskSpec } from "@lux/protocol";
import { FakeWorker, eventually } from "@lux/testing";
import { ObjectRef } from "../src/object-ref.js";
import { PlainTask, isPlain, type TaskHead } from "../src/plain-task.js";
import { collect } from "./collect.js";
import { TASK, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

const head: TaskHead = {
  jobId: "0123456789abcdef",
  functionId: "fn",
  name: "f",
  ownerAddress: "127.0.0.1:1",
  numReturns: 1,
  options: TASK,
  pace: { handsBack: true },
};
const ARGS = Uint8Array.of(1, 2, 3);

const plainTask = (): PlainTask => new PlainTask(head, newTaskId(), ARGS, [], [], undefined);

/** The spec `task` stands for, as a plain object. */
function specOf(task: PlainTask): TaskSpec {
  return {
    taskId: task.taskId,
    jobId: head.jobId,
    functionId: head.functionId,
    name: head.name,
    args: ARGS,
    resolved: [],
    borrowed: [],
    numReturns: 1,
    ownerAddress: head.ownerAddress,
    gpuIds: [],
    resources: TASK.resources,
    reported: false,
  };
}

/** Sends a new plain task on `connection`; returns a weak ref to it (nothing else holds it). */
function sendOne(connection: object): WeakRef<PlainTask> {
  const task = plainTask();
  encodeTaskSpec(connection, task);
  return new WeakRef(task);
}

describe("PlainTask", () => {
  test("is its own spec, and goes on the wire (and comes back) as a plain spec with the same fields", () => {
    const task = plainTask();
    assert.equal(task.spec, task);
    assert.deepEqual(encodeTaskSpec({}, task), encodeTaskSpec({}, specOf(task)));
    assert.deepEqual(decodeTaskSpec({}, encodeTaskSpec({}, task)), specOf(task));
    // The next task of the definition on the connection sends no head; a plain spec of another name does.
    const connection = {};
    encodeTaskSpec(connection, task);
    assert.equal(encodeTaskSpec(connection, plainTask())[1], 0);
    assert.notEqual(encodeTaskSpec(connection, { ...specOf(task), name: "g" })[1], 0);
  });

  test("what one task sets of its own (resolved arguments, GPU ids, reported, state, cancelled) leaves the others as they were", () => {
    const [a, b] = [plainTask(), plainTask()];
    a.resolved = [{ index: 0, objectId: "x".repeat(32) }];
    a.gpuIds = [0];
    a.reported = true;
    a.state = "queued";
    a.cancelled = true;
    assert.deepEqual([b.resolved, b.borrowed, b.gpuIds, b.deps, b.heldRefs], [[], [], [], [], []]);
    assert.deepEqual([b.reported, b.state, b.parentTaskId, b.retriesLeft, b.cancelled], [false, "resolving", undefined, TASK.maxRetries, false]);
    assert.deepEqual([a.reported, a.state, a.cancelled, a.gpuIds], [true, "queued", true, [0]]);
    const ref = new ObjectRef("a".repeat(32), head.ownerAddress);
    const c = new PlainTask(head, newTaskId(), ARGS, [{ index: 0, ref }], [ref], "parent-task");
    assert.deepEqual([c.deps.length, c.heldRefs[0], c.parentTaskId], [1, ref, "parent-task"]);
    assert.deepEqual([plainTask().deps, plainTask().heldRefs, plainTask().parentTaskId], [[], [], undefined]);
    assert.equal(a.options, TASK);
    assert.equal(a.resources, TASK.resources);
  });

  test("a connection keeps no task it sent alive, and still sends the next one's head as unchanged", async () => {
    const connection = {};
    const sent = sendOne(connection);
    await collect();
    assert.equal(sent.deref(), undefined, "the sent task was collected");
    assert.equal(encodeTaskSpec(connection, plainTask())[1], 0);
  });

  test("normal tasks with a placement group, a generator or maxCalls are not plain", () => {
    assert.equal(isPlain(TASK), true);
    assert.equal(isPlain({ ...TASK, placementGroup: { placementGroupId: "p".repeat(32), bundleIndex: 0, bundles: [{ CPU: 1 }], captureChildTasks: false } }), false);
    assert.equal(isPlain({ ...TASK, generatorBackpressure: 0 }), false);
    assert.equal(isPlain({ ...TASK, maxCalls: 1 }), false);
  });

  test("through an owner: plain tasks are queued, pushed and finished, their results set once", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    const tasks = Array.from({ length: 20 }, () => o.submit());
    assert.ok(tasks.every((t) => t instanceof PlainTask));
    await eventually(() => tasks.every((t) => o.valueOf(t) !== undefined), "every task finished");
    assert.equal(new Set(w.tasks.map((t) => t.taskId)).size, 20, "each task ran once");
    assert.ok(tasks.every((t) => t.state === "finished" && o.errorOf(t) === undefined));
    assert.equal(o.results.size(), 0);
  });
});
