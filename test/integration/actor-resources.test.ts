/**
 * Default actor resources (issue 13, point 9), as in Ray: an actor created without numCpus
 * needs one CPU to be placed and holds none while it runs. It is never placed on a node
 * without CPUs, and a one-CPU node hosts many of them; with numCpus it holds what it asks.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as lux from "lux";
import type { LocalNode } from "lux/testing";
import { TallyActor } from "./fixtures/actor-lifetime-defs.js";
import { waitFor, withCluster } from "./helpers.js";

const DEADLINE = { timeoutMs: 60_000 };

let noCpus: LocalNode;
let oneCpu: LocalNode;

withCluster({ head: { numCpus: 0 } }, async (cluster) => {
  noCpus = cluster.nodes[0] as LocalNode;
  oneCpu = await cluster.addNode({ numCpus: 1 });
  await cluster.waitForNodes(2);
  await lux.init({ address: cluster.address });
});

/** The cluster's free CPUs (the one-CPU node's), once the control service's view says `n`. */
async function freeCpusBecome(n: number): Promise<void> {
  await waitFor(async () => ((await lux.availableResources())["CPU"] ?? 0) === n, `${n} free CPU(s) in the cluster`);
}

test("default actor resources (Ray): placed as needing 1 CPU, holding 0 while running; never on a node without CPUs", async () => {
  const tallies = Array.from({ length: 6 }, () => TallyActor.remote());
  const nodes = await lux.get(tallies.map((t) => t.nodeId.remote()), DEADLINE);
  assert.deepEqual(nodes, tallies.map(() => oneCpu.nodeId), "all six on the one-CPU node, none on the node without CPUs");
  // All alive at once on one CPU (each answers again), and that CPU is still free.
  assert.deepEqual(await lux.get(tallies.map((t) => t.incr.remote(1)), DEADLINE), tallies.map(() => 1));
  await freeCpusBecome(1);
});

test("numCpus: 0 may go to a node without CPUs; numCpus: 1 holds its CPU while it runs", async () => {
  const anywhere = TallyActor.options({ numCpus: 0, schedulingStrategy: { nodeId: noCpus.nodeId, soft: false } }).remote();
  assert.equal(await lux.get(anywhere.nodeId.remote(), DEADLINE), noCpus.nodeId);
  const holding = TallyActor.options({ numCpus: 1 }).remote();
  assert.equal(await lux.get(holding.nodeId.remote(), DEADLINE), oneCpu.nodeId);
  await freeCpusBecome(0);
  await lux.kill(holding);
  await freeCpusBecome(1);
});
