/**
 * Issue 25 point 2 (Ray's maximum startup concurrency): a raylet boots at most
 * maxConcurrentWorkerStarts worker processes at once and queues the rest, so a burst of
 * actors created at once never loses one to a worker that missed its registration deadline
 * while sharing the cores with all the others. Here the bound is 1: every actor of the burst,
 * and the job's prestarted workers, go through the queue, and every actor answers.
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";

class Pid {
  pid(): number {
    return process.pid;
  }
}
const PidActor = lux.remote(Pid).options({ numCpus: 0.1 });

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
});

test("with maxConcurrentWorkerStarts 1, 8 actors created at once (behind 4 prestarted workers) all answer, each in a process of its own", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 4 }, config: { maxConcurrentWorkerStarts: 1 } });
  await lux.init({ address: cluster.address });
  const actors = Array.from({ length: 8 }, () => PidActor.remote());
  const pids = await lux.get(actors.map((a) => a.pid.remote()));
  assert.equal(new Set(pids).size, 8, `one process per actor: ${pids.join(", ")}`);
});
