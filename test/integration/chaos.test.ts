/**
 * Issue 5 point 6: on a 3-node cluster, a tree of 2,047 tasks plus actors accumulating the
 * leaves runs while task workers are killed at random and one whole node is removed
 * mid-way. The final answer is exact and the run ends in bounded time.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { descendants } from "./helpers.js";
import { AccumulatorActor, combine, leaf } from "./fixtures/chaos-defs.js";

const LEAVES = 1024;
let cluster: LocalCluster | undefined;

after(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
});

function isWorker(pid: number): boolean {
  const args = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).stdout;
  return /worker-main\.js/.test(args);
}

test("a task tree and accumulating actors survive random worker kills and a node loss", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2, resources: { head: 10 } } });
  await cluster.addNode({ numCpus: 2 });
  const doomed = await cluster.addNode({ numCpus: 2 });
  await cluster.waitForNodes(3);
  await lux.init({ address: cluster.address });

  // Accumulators live on the head, which is never killed.
  const accumulators = Array.from({ length: 4 }, () => AccumulatorActor.options({ resources: { head: 1 } }).remote());
  const actorPids = new Set((await lux.get(accumulators.map((a) => a.state.remote()))).map((s) => s.pid));

  const retrying = { maxRetries: 50 };
  const leaves = Array.from({ length: LEAVES }, (_, i) => leaf.options(retrying).remote(i));
  const acks = leaves.map((ref, i) => (accumulators[i % accumulators.length] as (typeof accumulators)[number]).add.remote(ref));
  let level = leaves;
  while (level.length > 1) {
    const next: lux.ObjectRef<number>[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(combine.options(retrying).remote(level[i] as lux.ObjectRef<number>, level[i + 1] as lux.ObjectRef<number>));
    level = next;
  }
  const root = level[0] as lux.ObjectRef<number>;

  // Chaos: kill random task workers (never the actors' processes) while the tree runs.
  let kills = 0;
  let stop = false;
  const killer = (async () => {
    while (!stop && kills < 12) {
      const workers = cluster.nodes
        .filter((n) => n.alive)
        .flatMap((n) => descendants(n.pid))
        .filter((pid) => !actorPids.has(pid) && isWorker(pid));
      const victim = workers[Math.floor(Math.random() * workers.length)];
      if (victim !== undefined) {
        try {
          process.kill(victim, "SIGKILL");
          kills++;
        } catch {
          // it exited on its own meanwhile
        }
      }
      await new Promise((r) => setTimeout(r, 40)); // pace the chaos, not a synchronization
    }
  })();

  // Mid-way, a whole node goes.
  await lux.wait(leaves, { numReturns: LEAVES / 2, timeoutMs: 120_000 });
  await cluster.removeNode(doomed);

  let expected = 0;
  for (let i = 0; i < LEAVES; i++) expected += i * i;
  assert.equal(await lux.get(root, { timeoutMs: 240_000 }), expected);
  stop = true;
  await killer;
  await lux.get(acks, { timeoutMs: 120_000 });
  const states = await lux.get(accumulators.map((a) => a.state.remote()));
  assert.equal(states.reduce((s, x) => s + x.count, 0), LEAVES);
  assert.equal(states.reduce((s, x) => s + x.total, 0), expected);
  assert.ok(kills > 0, "the chaos killed at least one worker");
});
