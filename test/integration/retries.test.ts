/**
 * Issue 5, point 1: task retries. `maxRetries` re-runs a task whose worker died (process.exit,
 * abort, an asynchronous uncaught exception, SIGKILL, the loss of its node), exactly as often
 * as allowed; then WorkerCrashedError says how the worker ended. Thrown errors are retried only
 * with `retryExceptions`; exhausted, the last TaskError is what `get` rejects with. Runs are
 * counted by a Tally actor. (Cancelled tasks are never retried: cancel.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { TallyActor, crashing, throwing } from "./fixtures/retries-defs.js";
import { descendants, waitFor } from "./helpers.js";

let cluster: LocalCluster | undefined;
let tally: ReturnType<typeof TallyActor.remote>;
let keys = 0;
const key = (): string => `k${keys++}`;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2 } });
  await lux.init({ address: cluster.address });
  tally = TallyActor.remote();
});

after(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
});

const runs = (k: string): Promise<number> => lux.get(tally.count.remote(k));

test("a task whose worker exits (process.exit) is re-run; maxRetries: 1 runs it exactly twice", async () => {
  const k = key();
  assert.equal(await lux.get(crashing.options({ maxRetries: 1 }).remote(tally, k, "exit", 1)), 2);
  assert.equal(await runs(k), 2);
});

test("process.abort() and an asynchronous uncaught exception are retried too", async () => {
  const [a, b] = [key(), key()];
  const refs = [
    crashing.options({ maxRetries: 1 }).remote(tally, a, "abort", 1),
    crashing.options({ maxRetries: 1 }).remote(tally, b, "async-throw", 1),
  ];
  assert.deepEqual(await lux.get(refs), [2, 2]);
  assert.deepEqual([await runs(a), await runs(b)], [2, 2]);
});

test("a worker SIGKILLed while it runs the task: the task runs again", async () => {
  const k = key();
  const ref = crashing.options({ maxRetries: 1 }).remote(tally, k, "hang", 1);
  await waitFor(async () => (await runs(k)) === 1, "the first run to start");
  process.kill(await lux.get(tally.pid.remote(k)), "SIGKILL");
  assert.equal(await lux.get(ref), 2);
  assert.equal(await runs(k), 2);
});

test("retries used up: WorkerCrashedError with the exit code or the signal", async () => {
  const [a, b] = [key(), key()];
  const exited = crashing.options({ maxRetries: 2 }).remote(tally, a, "exit", 99);
  const aborted = crashing.options({ maxRetries: 0 }).remote(tally, b, "abort", 99);
  await assert.rejects(lux.get(exited), (e: unknown) => {
    assert.ok(e instanceof lux.WorkerCrashedError, String(e));
    assert.equal(e.exitCode, 3);
    assert.match(e.message, /exit code 3/);
    return true;
  });
  await assert.rejects(lux.get(aborted), (e: unknown) => {
    assert.ok(e instanceof lux.WorkerCrashedError, String(e));
    assert.equal(e.signal, "SIGABRT");
    return true;
  });
  assert.deepEqual([await runs(a), await runs(b)], [3, 1]);
});

test("a thrown error is not retried by default", async () => {
  const k = key();
  await assert.rejects(lux.get(throwing.remote(tally, k, "RangeError", 1)), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError);
    assert.equal(e.cause.name, "RangeError");
    return true;
  });
  assert.equal(await runs(k), 1);
});

test("retryExceptions: true retries thrown errors within maxRetries", async () => {
  const k = key();
  assert.equal(await lux.get(throwing.options({ maxRetries: 3, retryExceptions: true }).remote(tally, k, "TypeError", 2)), 3);
  assert.equal(await runs(k), 3);
});

test('retryExceptions: ["RangeError"] retries only RangeErrors', async () => {
  const [a, b] = [key(), key()];
  const only = throwing.options({ maxRetries: 2, retryExceptions: ["RangeError"] });
  assert.equal(await lux.get(only.remote(tally, a, "RangeError", 1)), 2);
  await assert.rejects(lux.get(only.remote(tally, b, "TypeError", 1)), (e: unknown) => e instanceof lux.TaskError && e.cause.name === "TypeError");
  assert.deepEqual([await runs(a), await runs(b)], [2, 1]);
});

test("retries of thrown errors used up: the last TaskError", async () => {
  const k = key();
  const ref = throwing.options({ maxRetries: 1, retryExceptions: true }).remote(tally, k, "RangeError", 99);
  await assert.rejects(lux.get(ref), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError);
    assert.equal(e.cause.message, "run 2 failed");
    return true;
  });
  assert.equal(await runs(k), 2);
});

test("a task whose node is lost runs again on another node", async () => {
  const c = cluster as LocalCluster;
  const node = await c.addNode({ numCpus: 1 });
  const k = key();
  const ref = crashing.options({ maxRetries: 1, schedulingStrategy: { nodeId: node.nodeId, soft: true } }).remote(tally, k, "hang", 1);
  await waitFor(async () => (await runs(k)) === 1, "the first run to start");
  assert.ok(descendants(node.pid).includes(await lux.get(tally.pid.remote(k))), "the first run is on the doomed node");
  await c.removeNode(node);
  assert.equal(await lux.get(ref), 2);
  assert.equal(await runs(k), 2);
  assert.ok(!descendants(node.pid).includes(await lux.get(tally.pid.remote(k))));
});
