/**
 * TaskSubmitter's timers on a FakeClock, with a raylet and a worker in memory: the
 * submitter's raylet connection and its worker pool's `dial` are memoryTransportPair ends
 * served by acceptRpc, so no socket is opened and no time passes but the fake clock's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConnectionPool,
  FakeClock,
  RpcConnection,
  acceptRpc,
  decodeTaskSpec,
  memoryTransportPair,
  type CoreWorkerService,
  type Dial,
  type Handlers,
  type LeaseReply,
  type RayletService,
  type ServiceDef,
  type TaskReply,
  type TaskSpec,
} from "@lux/protocol";
import { defaultConfig, newTaskId, objectIdFor } from "@lux/common";
import { TaskSubmitter } from "../src/task-submitter.js";
import { newTaskRecord, type TaskRecord } from "../src/task-record.js";
import type { TaskResults } from "../src/task-results.js";

const TOKEN = "t";
const PEER = { token: TOKEN, maxFrameBytes: 1 << 20, connectTimeoutMs: 10_000, callTimeoutMs: 10_000 };
const NODE = "node-1";
/** The submitter's tunables: an idle lease goes back after 7 ms (a value of its own, not the default). */
const CONFIG = defaultConfig({ workerLeaseIdleMs: 7 });

/** Lets in-memory deliveries and the promise callbacks behind them run. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

/** A raylet that grants every lease request with the one worker at "worker:1", and records what comes back. */
function fakeRaylet(clock: FakeClock): { connection: RpcConnection<RayletService, CoreWorkerService>; requests: string[]; returned: { leaseId: string; disconnect: boolean }[] } {
  const requests: string[] = [];
  const returned: { leaseId: string; disconnect: boolean }[] = [];
  let leases = 0;
  const handlers: Handlers<RayletService, RpcConnection<ServiceDef, RayletService>> = {
    requestLease: (req): LeaseReply => {
      requests.push(req.requestId);
      return { leaseId: `lease-${++leases}`, workerId: "w1", workerAddress: "worker:1", nodeId: NODE, gpuIds: [] };
    },
    returnLease: (req) => {
      returned.push(req);
      return { ok: true };
    },
    cancelLeaseRequest: () => ({ cancelled: false }),
  };
  const [a, b] = memoryTransportPair();
  acceptRpc<RayletService>(b, { ...PEER, handlers, clock });
  const connection = new RpcConnection<RayletService, CoreWorkerService>(a, { ...PEER, clock });
  return { connection, requests, returned };
}

/** Dials workers in memory: each answers pushTask at once with an inline value. */
function workerDial(clock: FakeClock, pushed: string[]): Dial {
  return (address) => {
    const [a, b] = memoryTransportPair();
    const handlers: Handlers<CoreWorkerService, RpcConnection<ServiceDef, CoreWorkerService>> = {
      pushTask: (req, connection): TaskReply => {
        pushed.push(address);
        const spec = decodeTaskSpec(connection, req);
        return { returns: spec.returnIds.map((objectId) => ({ objectId, value: new Uint8Array([1]) })) };
      },
    };
    acceptRpc<CoreWorkerService>(b, { ...PEER, handlers, clock });
    return Promise.resolve(a);
  };
}

function task(): TaskRecord {
  const taskId = newTaskId();
  const spec: TaskSpec = {
    taskId,
    jobId: "job-1",
    functionId: "f",
    name: "f",
    args: new Uint8Array(),
    resolved: [],
    borrowed: [],
    returnIds: [objectIdFor(taskId, 0)],
    ownerAddress: "owner:1",
    gpuIds: [],
  };
  return newTaskRecord(spec, [], [], { resources: { CPU: 1 }, maxRetries: 0, retryExceptions: false, numReturns: 1 });
}

async function submitter(): Promise<{
  submitter: TaskSubmitter;
  clock: FakeClock;
  raylet: ReturnType<typeof fakeRaylet>;
  completed: TaskRecord[];
  pushed: string[];
}> {
  const clock = new FakeClock();
  const raylet = fakeRaylet(clock);
  await raylet.connection.clientHandshake(TOKEN, 1000);
  const pushed: string[] = [];
  const dial = workerDial(clock, pushed);
  const completed: TaskRecord[] = [];
  const results = {
    complete: (record: TaskRecord) => void completed.push(record),
    fail: (record: TaskRecord, error: Error) => assert.fail(`task ${record.spec.name} failed: ${error.message}`),
  } as Pick<TaskResults, "complete" | "fail">;
  const s = new TaskSubmitter({
    jobId: "job-1",
    nodeId: NODE,
    raylet: raylet.connection,
    raylets: new ConnectionPool<RayletService, CoreWorkerService>({ ...PEER, dial, clock }),
    workers: new ConnectionPool<CoreWorkerService, CoreWorkerService>({ ...PEER, dial, clock }),
    results,
    clock,
    config: CONFIG,
  });
  return { submitter: s, clock, raylet, completed, pushed };
}

test("a lease idle for workerLeaseIdleMs goes back to its raylet; a task before that reuses it", async () => {
  const idleMs = CONFIG.workerLeaseIdleMs;
  const { submitter: s, clock, raylet, completed, pushed } = await submitter();
  s.enqueue(task());
  await flush();
  assert.equal(completed.length, 1);
  assert.deepEqual(pushed, ["worker:1"]);
  assert.equal(raylet.requests.length, 1);

  clock.advance(idleMs - 1);
  s.enqueue(task());
  await flush();
  assert.equal(completed.length, 2);
  assert.equal(raylet.requests.length, 1, "the idle lease ran it: no new request");
  assert.deepEqual(raylet.returned, []);

  // Idle again from the second task's end: the full idle time counts from there.
  clock.advance(idleMs - 1);
  await flush();
  assert.deepEqual(raylet.returned, [], "not idle long enough yet");
  clock.advance(1);
  await flush();
  assert.deepEqual(raylet.returned, [{ leaseId: "lease-1", disconnect: false }]);

  s.enqueue(task());
  await flush();
  assert.equal(raylet.requests.length, 2, "returned: the next task needs a new lease");
  assert.equal(completed.length, 3);
  s.close();
  assert.equal(clock.pendingTimers, 0, "closing cancels the idle timer");
  raylet.connection.close(true);
});

test("a closed submitter returns nothing later: its idle timers are cancelled", async () => {
  const { submitter: s, clock, raylet } = await submitter();
  s.enqueue(task());
  await flush();
  assert.equal(clock.pendingTimers, 1, "the idle timer of the lease");
  s.close();
  clock.advance(CONFIG.workerLeaseIdleMs * 10);
  await flush();
  assert.deepEqual(raylet.returned, []);
  raylet.connection.close(true);
});
