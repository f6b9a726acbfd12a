/**
 * Issue 2, point 9: resources on one node (CPU fractions, GPU ids, memory, custom),
 * clusterResources / availableResources, infeasible requests, getRuntimeContext, nodes.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import * as lux from "lux";
import { fixtures, startScript, waitFor } from "./helpers.js";
import { CoordinatorActor, ProbeActor, barrier, context, hold, type Seen } from "./fixtures/resources-remote.js";

const NAMESPACE = "resources-test";
const GET_MS = 60_000;

describe("resources on one node", () => {
  let coord: ReturnType<typeof CoordinatorActor.remote>;
  let total: Record<string, number>;
  let keys = 0;
  const key = (what: string): string => `${what}-${++keys}`;

  /** Waits until nothing is held any more (leases of finished tasks are returned after a short idle time). */
  const allFree = (): Promise<void> =>
    waitFor(async () => isDeepStrictEqual(await lux.availableResources(), total), "every resource to be available again");

  before(async () => {
    await lux.init({ numCpus: 2, numGpus: 2, resources: { accel: 1 }, objectStoreMemory: 64 * 1024 * 1024, namespace: NAMESPACE });
    coord = CoordinatorActor.remote();
    await lux.get(coord.count.remote("warm-up"), { timeoutMs: GET_MS });
    total = await lux.clusterResources();
  });

  after(async () => {
    await lux.shutdown();
  });

  it("clusterResources reports the node's CPU, GPU, memory and custom resources, and nodes() the node", async () => {
    assert.deepEqual(Object.keys(total).sort(), ["CPU", "GPU", "accel", "memory"]);
    assert.equal(total["CPU"], 2);
    assert.equal(total["GPU"], 2);
    assert.equal(total["accel"], 1);
    assert.ok((total["memory"] ?? 0) > 0, `memory should be a positive number of bytes, got ${total["memory"]}`);
    await allFree();

    const list = await lux.nodes();
    assert.equal(list.length, 1);
    const node = list[0] as lux.NodeView;
    assert.equal(node.alive, true);
    assert.match(node.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(node.resources, total);
    assert.equal(node.nodeId, lux.getRuntimeContext().nodeId);
  });

  it("availableResources shows what running tasks hold, and gets it back when they finish", async () => {
    await allFree();
    const k = key("hold");
    const refs = [
      hold.options({ numCpus: 1, resources: { accel: 1 } }).remote(coord, k),
      hold.options({ numCpus: 0.5, numGpus: 1 }).remote(coord, k),
    ];
    await waitFor(async () => (await lux.get(coord.count.remote(k))) === 2, "both tasks to start");
    // accel is all taken: left out, not 0.
    const expected: Record<string, number> = { ...total, CPU: 0.5, GPU: 1 };
    delete expected["accel"];
    await waitFor(async () => isDeepStrictEqual(await lux.availableResources(), expected), `available resources to be ${JSON.stringify(expected)}`);
    assert.deepEqual(await lux.clusterResources(), total, "totals do not change while tasks run");
    await lux.get(coord.open.remote(k));
    await lux.get(refs, { timeoutMs: GET_MS });
    await allFree();
  });

  it("fractional numCpus: four 0.5-CPU tasks run at once on 2 CPUs", async () => {
    await allFree();
    const k = key("half");
    // Each waits (without giving its CPU back) until all four have arrived: they can only
    // finish if all four run at the same time.
    const refs = Array.from({ length: 4 }, () => barrier.options({ numCpus: 0.5 }).remote(coord, k, 4));
    const seen = await lux.get(refs, { timeoutMs: GET_MS });
    assert.equal(new Set(seen.map((s) => s.workerId)).size, 4, "four distinct workers ran them");
    await allFree();
  });

  it("numGpus: concurrent tasks get distinct device ids in CUDA_VISIBLE_DEVICES and gpuIds", async () => {
    await allFree();
    const k = key("gpu");
    const refs = [0, 1].map(() => barrier.options({ numGpus: 1, numCpus: 0.5 }).remote(coord, k, 2));
    const seen = await lux.get(refs, { timeoutMs: GET_MS });
    for (const s of seen) {
      assert.equal(s.gpuIds.length, 1, `one GPU per task, got ${JSON.stringify(s)}`);
      assert.equal(s.cuda, s.gpuIds.join(","));
    }
    assert.deepEqual(seen.map((s) => s.gpuIds[0]).sort(), [0, 1]);

    // A worker reused for a task without GPUs sees none.
    const plain = await lux.get(Array.from({ length: 4 }, () => context.options({ numCpus: 0.5 }).remote()), { timeoutMs: GET_MS });
    for (const s of plain) {
      assert.deepEqual(s.gpuIds, []);
      assert.equal(s.cuda ?? "", "");
    }
    await allFree();
  });

  it("actors with numGpus hold their devices until they are killed", async () => {
    await allFree();
    const a = ProbeActor.options({ numGpus: 1 }).remote();
    const b = ProbeActor.options({ numGpus: 1 }).remote();
    const [sa, sb] = await lux.get([a.where.remote(), b.where.remote()], { timeoutMs: GET_MS });
    for (const s of [sa, sb]) {
      assert.equal(s.gpuIds.length, 1);
      assert.equal(s.cuda, s.gpuIds.join(","));
    }
    assert.deepEqual([sa.gpuIds[0], sb.gpuIds[0]].sort(), [0, 1]);
    await waitFor(async () => (await lux.availableResources())["GPU"] === undefined, "both GPUs to be held by the actors");
    // A later call sees the same device.
    assert.deepEqual((await lux.get(a.where.remote(), { timeoutMs: GET_MS })).gpuIds, sa.gpuIds);
    await lux.kill(a);
    await waitFor(async () => (await lux.availableResources())["GPU"] === 1, "the killed actor's GPU to be free");
    await lux.kill(b);
    await allFree();
  });

  for (const [what, options] of [
    ["custom resources", () => ({ numCpus: 0, resources: { accel: 1 } })],
    ["memory", () => ({ numCpus: 0, memory: Math.floor((total["memory"] ?? 0) * 0.6) })],
  ] as const) {
    it(`${what} limit how many tasks run at once`, async () => {
      await allFree();
      const k = key(what);
      const first = hold.options(options()).remote(coord, k);
      await waitFor(async () => (await lux.get(coord.count.remote(k))) === 1, "the first task to start");
      const second = hold.options(options()).remote(coord, k);
      const [ready] = await lux.wait([second], { timeoutMs: 500 });
      assert.equal(ready.length, 0, "the second task must wait for the first one's resources");
      assert.equal(await lux.get(coord.count.remote(k)), 1, "only the first task started");
      await lux.get(coord.open.remote(k));
      await lux.get([first, second], { timeoutMs: GET_MS });
      assert.equal(await lux.get(coord.maxConcurrent.remote(k)), 1);
      await allFree();
    });
  }

  it("a request no node can satisfy stays pending, other work runs, and the driver warns once", async () => {
    const script = startScript(path.join(fixtures, "resources-infeasible.ts"));
    try {
      const line = await script.line(/^RESULT (.*)$/m, GET_MS);
      assert.deepEqual(JSON.parse(line[1] as string), { other: 42, ready: 0, notReady: 2, timedOut: true });
      const { code } = await script.exited();
      assert.equal(code, 0, script.stderr());
      const warnings = script.stderr().split("\n").filter((l) => l.includes("WARN") && l.includes("no node"));
      assert.equal(warnings.length, 1, `exactly one warning, got:\n${script.stderr()}`);
      assert.match(warnings[0] as string, /neverRuns/);
      assert.match(warnings[0] as string, /"nothing":1/);
    } finally {
      script.kill();
    }
  });

  it("getRuntimeContext describes the driver, a task and an actor method", async () => {
    const driver = lux.getRuntimeContext();
    assert.equal(driver.taskId, undefined);
    assert.equal(driver.actorId, undefined);
    assert.equal(driver.namespace, NAMESPACE);
    assert.deepEqual(driver.gpuIds, []);
    for (const id of [driver.jobId, driver.nodeId, driver.workerId]) assert.match(id, /^[0-9a-f]+$/);

    const task: Seen = await lux.get(context.remote(), { timeoutMs: GET_MS });
    assert.equal(typeof task.taskId, "string");
    assert.equal(task.actorId, undefined);
    assert.equal(task.jobId, driver.jobId);
    assert.equal(task.nodeId, driver.nodeId);
    assert.equal(task.namespace, NAMESPACE);
    assert.notEqual(task.workerId, driver.workerId);
    const again = await lux.get(context.remote(), { timeoutMs: GET_MS });
    assert.notEqual(again.taskId, task.taskId, "each task has its own id");

    const probe = ProbeActor.remote();
    const [m1, m2] = await lux.get([probe.where.remote(), probe.where.remote()], { timeoutMs: GET_MS });
    assert.equal(typeof m1.actorId, "string");
    assert.equal(m2.actorId, m1.actorId, "calls of one actor see its id");
    assert.equal(typeof m1.taskId, "string");
    assert.notEqual(m1.taskId, m2.taskId);
    assert.equal(m1.jobId, driver.jobId);
    assert.equal(m1.nodeId, driver.nodeId);
    assert.equal(m1.namespace, NAMESPACE);
    await lux.kill(probe);
  });
});
