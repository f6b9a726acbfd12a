/**
 * A process's task events (issue 16, point 3) on a FakeClock and a scripted control
 * service: sent every taskEventsReportIntervalMs in one columnar batch, at once past
 * taskEventsBatchMax, one batch in flight; past taskEventsBufferMax new events are dropped
 * and counted per job, and so are those of a batch the control service did not take;
 * nothing is sent while the control service is away.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock, TASK_EVENT, type GcsService, type RpcCaller, type TaskEventBatch, type TaskSpec } from "@lux/protocol";
import { defaultConfig } from "@lux/common";
import { TaskEvents, encodeBatch } from "../src/task-events.js";

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

const spec = (taskId: string, jobId = "j1", actorId?: string): TaskSpec =>
  ({ taskId, jobId, name: `fn-${taskId}`, functionId: "", args: new Uint8Array(), resolved: [], borrowed: [], returnIds: [], ownerAddress: "", gpuIds: [], resources: {}, ...(actorId !== undefined ? { actorId } : {}) }) as TaskSpec;

function times(batch: TaskEventBatch): number[] {
  return [...new Float64Array(batch.times.slice().buffer)];
}

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
    const a = spec("a");
    events.record(a, TASK_EVENT.SUBMITTED_WAITING, "parent");
    clock.advance(5);
    events.record(a, TASK_EVENT.QUEUED);
    events.recordAt(spec("b", "j2", "actor"), TASK_EVENT.RUNNING, 1001);
    events.record(a, TASK_EVENT.FAILED, new RangeError("bad"));
    assert.equal(fake.calls.length, 0, "nothing before the interval");
    clock.advance(995);
    assert.equal(fake.calls.length, 1);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual([batch.nodeId, batch.workerId, batch.pid], ["n1", "w1", 42]);
    assert.deepEqual(batch.taskIds, ["a", "a", "b", "a"]);
    assert.deepEqual([...batch.codes], [TASK_EVENT.SUBMITTED_WAITING, TASK_EVENT.QUEUED, TASK_EVENT.RUNNING, TASK_EVENT.FAILED]);
    assert.deepEqual(times(batch), [1000, 1005, 1001, 1005]);
    assert.deepEqual(batch.infos, ["j1", "fn-a", "", "parent", "j2", "fn-b", "actor", ""]);
    assert.deepEqual(batch.errors, [{ at: 3, type: "RangeError", message: "bad" }]);
    (fake.calls[0] as Call).reply();
    await tick();
    clock.advance(1000);
    assert.equal(fake.calls.length, 1, "an empty interval sends nothing");
    await events.close();
  });

  it("a QUEUED right after its own SUBMITTED is left out (it says nothing new)", () => {
    const a = spec("a");
    const b = spec("b");
    const buffer = [a.taskId, "j1", TASK_EVENT.SUBMITTED, 1, undefined, "f", undefined, a.taskId, "j1", TASK_EVENT.QUEUED, 2, undefined, "f", undefined, b.taskId, "j1", TASK_EVENT.QUEUED, 3, undefined, "f", undefined];
    const batch = encodeBatch(buffer, 3, { nodeId: "n", workerId: "w", pid: 1 }, {});
    assert.deepEqual(batch.taskIds, ["a", "b"]);
    assert.deepEqual([...batch.codes], [TASK_EVENT.SUBMITTED, TASK_EVENT.QUEUED]);
    assert.deepEqual(times(batch), [1, 3]);
  });

  it("sends at once past taskEventsBatchMax, one batch in flight; the rest follows its reply", async () => {
    const { events, fake } = recorder({ taskEventsBatchMax: 3 });
    for (let i = 0; i < 5; i++) events.record(spec(`t${i}`), TASK_EVENT.SUBMITTED);
    await tick();
    assert.equal(fake.calls.length, 1);
    assert.equal((fake.calls[0] as Call).batch.taskIds.length, 5, "everything waiting goes");
    for (let i = 5; i < 9; i++) events.record(spec(`t${i}`), TASK_EVENT.SUBMITTED);
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
    events.record(spec("a", "j1"), TASK_EVENT.SUBMITTED);
    events.record(spec("b", "j1"), TASK_EVENT.SUBMITTED);
    events.record(spec("c", "j1"), TASK_EVENT.SUBMITTED);
    events.record(spec("d", "j2"), TASK_EVENT.SUBMITTED);
    clock.advance(1000);
    const batch = (fake.calls[0] as Call).batch;
    assert.deepEqual(batch.taskIds, ["a", "b"]);
    assert.deepEqual(batch.dropped, { j1: 1, j2: 1 });
    (fake.calls[0] as Call).reply();
    await events.close();
  });

  it("a batch the control service did not take counts as dropped", async () => {
    const { events, clock, fake } = recorder();
    events.record(spec("a", "j1"), TASK_EVENT.SUBMITTED);
    events.record(spec("b", "j2"), TASK_EVENT.SUBMITTED);
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
    events.record(spec("a"), TASK_EVENT.SUBMITTED);
    clock.advance(3000);
    assert.equal(fake.calls.length, 0, "a call now would wait for the control service and hold the process");
    fake.setState("open");
    events.record(spec("b"), TASK_EVENT.SUBMITTED);
    const closed = events.close();
    await tick();
    assert.deepEqual((fake.calls[0] as Call).batch.taskIds, ["a", "b"]);
    (fake.calls[0] as Call).reply();
    await closed;
    clock.advance(5000);
    assert.equal(fake.calls.length, 1, "nothing after close");
  });
});
