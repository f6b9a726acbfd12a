/**
 * Issue 13, points 1 and 3: fate sharing, as in Ray. Tasks pipelined onto a busy worker do not
 * share its fate: when it dies, those that never started run again, uncharged and in
 * submission order. A CPU-bound synchronous task does not hold others hostage. Actors (not
 * detached) and tasks die with the process or node that created them, and their resources
 * are freed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { rpcPeerOptions } from "@lux/common";
import { connectRpc, type RayletService } from "@lux/protocol";
import { ParentActor, forever, parent, quick, spin, step } from "./fixtures/fate-sharing-defs.js";
import { descendants, fixtures, pidAlive, startScript, waitFor } from "./helpers.js";

let cluster: LocalCluster;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "lux-fate-"));
  // A custom resource of 2 gives the hostage test two workers of its own.
  cluster = await LocalCluster.start({ head: { numCpus: 1, resources: { hostage: 2 } } });
  await lux.init({ address: cluster.address });
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const logged = (log: string): number[] => readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number);

test("Ray test_worker_failure with pipelined tasks: only the task that was running is charged; the rest run, in submission order (maxRetries 0)", async () => {
  // One worker at a time: tasks beyond the running one wait, pipelined or queued. Its workers
  // do not hand pipelined tasks back while the task before them waits (so they are still
  // there when it dies).
  const node = await cluster.addNode({ numCpus: 0, resources: { pipelined: 1 }, config: { pipelineRequeueAfterMs: 600_000 } });
  const log = path.join(dir, "pipelined.log");
  const trigger = path.join(dir, "crash-now");
  const once = step.options({ numCpus: 0, resources: { pipelined: 1 }, maxRetries: 0 });
  await lux.get(once.remote(-1, log)); // its calls are seen to hand back: tasks may be pipelined behind them
  const crashing = once.remote(0, log, trigger);
  await waitFor(() => logged(log).includes(0), "the crashing task to start");
  const n = 40;
  const rest = Array.from({ length: n }, (_, i) => once.remote(i + 1, log));
  writeFileSync(trigger, "");
  await assert.rejects(lux.get(crashing), lux.WorkerCrashedError);
  await lux.get(rest); // none rejects with WorkerCrashedError
  assert.deepEqual(logged(log), [-1, 0, ...Array.from({ length: n }, (_, i) => i + 1)], "each ran once, in submission order");
  await cluster.removeNode(node);
});

test("Ray: a CPU-bound synchronous task does not hold the tasks submitted after it hostage", async () => {
  const onNode = { numCpus: 0, resources: { hostage: 1 } };
  await lux.get(quick.options(onNode).remote());
  // Seen to hold its worker's thread past pipelineRequeueAfterMs (20 ms): no task is pipelined behind a call of it.
  await lux.get(spin.options(onNode).remote(100));
  const busy = spin.options({ ...onNode, maxRetries: 0 }).remote(10_000);
  const others = Array.from({ length: 40 }, () => quick.options(onNode).remote());
  await lux.get(others);
  const [, notReady] = await lux.wait([busy], { timeoutMs: 0 });
  assert.equal(notReady.length, 1, "every other task finished while the CPU-bound one still ran");
  const pids = new Set(await lux.get(others));
  await lux.cancel(busy, { force: true });
  await assert.rejects(lux.get(busy), lux.TaskCancelledError);
  assert.equal(pids.size, 1, "they ran on the other worker");
});

/** The pids a `parent` task logged: its own, its child actor's, its child task's. */
async function family(log: string): Promise<{ parentPid: number; actorPid: number; taskPid: number }> {
  let line: string[] = [];
  await waitFor(() => {
    const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
    line = lines.find((l) => l.startsWith("parent"))?.split(" ") ?? [];
    return line.length > 0 && lines.length >= 2;
  }, "the parent task to log its family");
  const taskPid = Number(readFileSync(log, "utf8").split("\n").find((l) => /^\d+$/.test(l)));
  return { parentPid: Number(line[1]), actorPid: Number(line[3]), taskPid };
}

const cpus = async (): Promise<number> => (await lux.availableResources())["CPU"] ?? 0;

test("Ray test_fate_sharing: the actor and task a task created die with its worker, and their resources are freed", async () => {
  const node = await cluster.addNode({ numCpus: 3, resources: { family: 1 } });
  const before = await cpus();
  const log = path.join(dir, "family.log");
  writeFileSync(log, "");
  const ref = parent.options({ numCpus: 1, resources: { family: 1 }, maxRetries: 0 }).remote(log, { numCpus: 1 });
  const { parentPid, actorPid, taskPid } = await family(log);
  process.kill(parentPid, "SIGKILL");
  await assert.rejects(lux.get(ref), lux.WorkerCrashedError);
  await waitFor(() => !pidAlive(actorPid), "the child actor's worker to end");
  await waitFor(() => !pidAlive(taskPid), "the child task's worker to end");
  await waitFor(async () => (await cpus()) === before, "every CPU to be free again");
  await cluster.removeNode(node);
});

test("Ray test_fate_sharing: an actor created by an actor dies with it", async () => {
  const parentActor = ParentActor.remote();
  const childPid = await lux.get(parentActor.spawn.remote());
  const parentPid = await lux.get(parentActor.pid.remote());
  await lux.kill(parentActor);
  await waitFor(() => !pidAlive(parentPid), "the parent actor's worker to end");
  await waitFor(() => !pidAlive(childPid), "the child actor's worker to end");
});

test("Ray test_fate_sharing: the actor a task created dies with the task's node", async () => {
  const node = await cluster.addNode({ numCpus: 1, resources: { doomed: 1 } });
  const log = path.join(dir, "node-family.log");
  writeFileSync(log, "");
  const head = { nodeId: cluster.nodes[0]?.nodeId as string, soft: false };
  const ref = parent.options({ numCpus: 0, resources: { doomed: 1 }, maxRetries: 0 }).remote(log, { numCpus: 0, schedulingStrategy: head });
  const { actorPid } = await family(log);
  await cluster.removeNode(node);
  await assert.rejects(lux.get(ref));
  await waitFor(() => !pidAlive(actorPid), "the child actor's worker to end");
});

/** Pids of the processes under `root` that run a worker of job `jobId`. */
function workersOfJob(root: number, jobId: string): number[] {
  return descendants(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`LUX_JOB_ID=${jobId}`);
    } catch {
      return false; // it ended meanwhile
    }
  });
}

for (const how of ["exits", "shuts down"] as const) {
  test(`Ray test_fate_sharing: a driver that ${how} withdraws its queued task and actor requests at once; none is granted later`, async () => {
    const node = await cluster.addNode({ numCpus: 1, resources: { gate: 1 } });
    const raylet = await connectRpc<RayletService>(node.address, rpcPeerOptions(cluster.token));
    const log = path.join(dir, `gate-${how.replace(" ", "-")}.log`);
    writeFileSync(log, "");
    const gated = { numCpus: 0, resources: { gate: 1 } };
    const holder = forever.options({ ...gated, maxRetries: 0 }).remote(log);
    await waitFor(() => readFileSync(log, "utf8").length > 0, "the test's task to hold the gate");
    const holderPid = Number(readFileSync(log, "utf8").trim());
    const driver = startScript(path.join(fixtures, "fate-sharing-driver.ts"), {
      env: { LUX_TEST_CLUSTER: cluster.address, LUX_TEST_LOG: log },
    });
    try {
      const queued = async (): Promise<number> => (await raylet.call("getPendingDemand", {})).reduce((n, d) => n + d.count, 0);
      const [, jobId] = await driver.line(/ready (\S+)/);
      await waitFor(async () => (await queued()) === 2, "the driver's task and actor to wait for the gate");
      if (how === "exits") {
        driver.kill("SIGKILL");
        await driver.exited();
      } else {
        driver.kill("SIGUSR2");
        await driver.line(/shut down/);
      }
      await waitFor(async () => (await queued()) === 0, "the dead job's requests to be withdrawn");
      process.kill(holderPid, "SIGKILL"); // the gate is free
      await assert.rejects(lux.get(holder), lux.WorkerCrashedError);
      const probe = path.join(dir, `probe-${how.replace(" ", "-")}.log`);
      writeFileSync(probe, "");
      void forever.options({ ...gated, maxRetries: 0 }).remote(probe);
      await waitFor(() => readFileSync(probe, "utf8").length > 0, "a new task to get the gate");
      assert.deepEqual(workersOfJob(node.pid, jobId as string), [], "no worker of the dead job was started");
    } finally {
      driver.kill("SIGKILL");
      raylet.close();
      await cluster.removeNode(node);
    }
  });
}
