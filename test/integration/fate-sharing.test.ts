/**
 * Issue 13, points 1 and 3: fate sharing, as in Ray. Tasks pipelined onto a busy worker do not
 * share its fate: when it dies, those that never started run again, uncharged and in
 * submission order. A CPU-bound synchronous task does not hold others hostage.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { quick, spin, step } from "./fixtures/fate-sharing-defs.js";
import { waitFor } from "./helpers.js";

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
