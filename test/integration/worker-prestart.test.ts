/**
 * Issue 13 point 16 (Ray's worker prestart): when a driver's job registers, its raylet starts
 * the job's workers, one per CPU of the node (config workerPrestartLimit), with the driver's
 * Node flags, before any task: the first tasks find them booted instead of each starting one.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { afterEach, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { descendants, waitFor } from "./helpers.js";

const pidOf = lux.remote(async (holdMs: number) => {
  await new Promise((r) => setTimeout(r, holdMs));
  return process.pid;
});

/** The worker processes under a raylet. */
function workersOf(rayletPid: number): number[] {
  return descendants(rayletPid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker-main");
    } catch {
      return false; // gone meanwhile
    }
  });
}

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
});

test("test_worker_prestart: a driver's registration starts one worker per CPU, and its first tasks run on them", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 3 } });
  const raylet = (cluster.nodes[0] as { pid: number }).pid;
  assert.deepEqual(workersOf(raylet), [], "no worker runs before a driver connects");
  await lux.init({ address: cluster.address });
  await waitFor(() => workersOf(raylet).length === 3, "3 workers started for the job without a task");
  const started = new Set(workersOf(raylet));
  // Tasks that hold their workers a while: they run on the workers started ahead, and no
  // other worker is started for them.
  const pids = await lux.get([0, 1, 2].map(() => pidOf.remote(300)));
  for (const pid of pids) assert.ok(started.has(pid), `task ran on worker ${pid}, not one started ahead (${[...started].join(", ")})`);
  assert.deepEqual(new Set(workersOf(raylet)), started);
});

test("workerPrestartLimit caps the workers started ahead", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 3 }, config: { workerPrestartLimit: 2 } });
  const raylet = (cluster.nodes[0] as { pid: number }).pid;
  await lux.init({ address: cluster.address });
  // The raylet starts a job's workers ahead all in one turn: once there are 2, that is all.
  await waitFor(() => workersOf(raylet).length >= 2, "workers started for the job");
  assert.equal(workersOf(raylet).length, 2);
  assert.equal(await lux.get(pidOf.remote(0)) > 0, true);
});
