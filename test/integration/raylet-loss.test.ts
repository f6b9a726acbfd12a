/**
 * Issue 24 point 6: losing the driver's raylet is terminal and typed. Once it is gone (its
 * process killed, or its node declared dead while it hangs), every pending and new get,
 * task, actor call and put fails with ClusterLostError, promptly; none hangs.
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { descendants, pidAlive, waitFor } from "./helpers.js";

const plusOne = lux.remote((x: number) => x + 1);
const forever = lux.remote(() => new Promise<number>(() => undefined));

class Counter {
  n = 0;
  incr(): number {
    return ++this.n;
  }
  hang(): Promise<never> {
    return new Promise(() => undefined);
  }
}
const CounterActor = lux.remote(Counter);

let cluster: LocalCluster | undefined;
let frozen: number[] = [];

afterEach(async () => {
  for (const pid of frozen) if (pidAlive(pid)) process.kill(pid, "SIGCONT");
  frozen = [];
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
});

/** Asserts that `what` (a call, or a get of what it returns) fails with ClusterLostError for the raylet within `ms`. */
async function lost(label: string, what: () => unknown, ms = 10_000): Promise<void> {
  const started = Date.now();
  let outcome: unknown;
  try {
    const r = what();
    outcome = await Promise.race([
      Promise.resolve(r).then((v) => ({ resolved: v })),
      new Promise((resolve) => setTimeout(() => resolve({ hung: true }), ms).unref()),
    ]);
  } catch (e) {
    outcome = e;
  }
  assert.ok(outcome instanceof lux.ClusterLostError, `${label}: expected ClusterLostError, got ${String(outcome instanceof Error ? outcome.stack : JSON.stringify(outcome))}`);
  assert.ok(outcome instanceof lux.LuxError && outcome.code === "LUX_CLUSTER_LOST", label);
  assert.equal(outcome.component, "raylet", label);
  assert.ok(Date.now() - started < ms, `${label}: took ${Date.now() - started} ms`);
}

test("after the raylet process dies, pending and new gets, tasks, actor calls and puts fail with ClusterLostError", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2 } });
  await lux.init({ address: cluster.address });
  const counter = CounterActor.remote();
  assert.equal(await lux.get(counter.incr.remote()), 1);
  assert.equal(await lux.get(plusOne.remote(1)), 2);
  const stored = lux.put(new Float64Array(100_000));
  const pendingTask = forever.remote();
  const pendingCall = counter.hang.remote();

  const node = cluster.nodes[0];
  assert.ok(node !== undefined);
  process.kill(node.pid, "SIGKILL");

  await lost("a pending task's get", () => lux.get(pendingTask));
  await lost("a pending actor call's get", () => lux.get(pendingCall));
  await lost("a new task", () => lux.get(plusOne.remote(2)));
  await lost("a new call to an existing actor", () => lux.get(counter.incr.remote()));
  await lost("a new actor", () => lux.get(CounterActor.remote().incr.remote()));
  await lost("a small put", () => lux.put(1));
  await lost("a large put", () => lux.put(new Float64Array(100_000)));
  await lost("a get of an object stored before", () => lux.get(stored));
  await lost("a wait", () => lux.wait([stored]));
  // The control service is still there: the cluster can be inspected.
  await waitFor(async () => (await lux.nodes()).every((n) => !n.alive), "the node to be declared dead");
});

test("a hung raylet (its connection open) is lost once the control service declares its node dead", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 1 }, config: { nodeDeathTimeoutMs: 1500, gcsHealthCheckPeriodMs: 200 } });
  await lux.init({ address: cluster.address });
  assert.equal(await lux.get(plusOne.remote(1)), 2);
  const pending = forever.remote();
  const node = cluster.nodes[0];
  assert.ok(node !== undefined);
  frozen = [node.pid, ...descendants(node.pid)];
  for (const pid of frozen) process.kill(pid, "SIGSTOP");
  // Within the death timeout and a few health-check periods, not never.
  await lost("a pending task's get", () => lux.get(pending), 15_000);
  await lost("a new task", () => lux.get(plusOne.remote(2)));
  await lost("a put", () => lux.put("x"));
});
