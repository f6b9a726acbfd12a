/**
 * @lux/train across the nodes of a real multi-node cluster (a LocalCluster: separate raylets):
 * ranks grouped by node (localRank, localWorldSize, nodeRank), collectives across nodes with
 * bitwise-identical results, and a training run that loses the node of one of its workers and
 * restarts on the nodes left, from its latest checkpoint.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { collectiveOps } from "./fixtures/train-collective-defs.js";
import { epochLoop, recorded, type EpochConfig } from "./fixtures/train-defs.js";
import { waitFor, withCluster } from "./helpers.js";

// Nothing runs on the head; three worker nodes of 2, 2 and 1 CPUs.
const env = withCluster({ head: { numCpus: 0 } }, async (c) => {
  for (const numCpus of [2, 2, 1]) await c.addNode({ numCpus });
  await lux.init({ address: c.address });
});
let dir = "";

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-nodes-"));
  return dir;
}

interface Start {
  start: number;
  restored: string | null;
  context: train.TrainContext;
  node: string;
}

test("5 workers on 3 nodes: the workers of a node have consecutive ranks, localRank 0… and localWorldSize its count; nodeRank by rank order", async () => {
  const storagePath = tempDir();
  await new train.DataParallelTrainer(epochLoop, { trainLoopConfig: { epochs: 1, dir: storagePath }, scalingConfig: { numWorkers: 5 }, runConfig: { name: "ranks", storagePath } }).fit();
  const starts = [0, 1, 2, 3, 4].map((r) => recorded<Start>(storagePath, "start", r)[0] as Start);
  assert.deepEqual(starts.map((s) => s.context.worldRank), [0, 1, 2, 3, 4]);
  const nodes = [...new Set(starts.map((s) => s.node))];
  assert.equal(nodes.length, 3, "every worker node used");
  assert.deepEqual(starts.map((s) => s.context.nodeRank), starts.map((s) => nodes.indexOf(s.node)), "nodes numbered in rank order");
  for (const node of nodes) {
    const here = starts.filter((s) => s.node === node);
    const ranks = here.map((s) => s.context.worldRank);
    assert.deepEqual(ranks, Array.from({ length: ranks.length }, (_, i) => (ranks[0] as number) + i), "consecutive ranks");
    assert.deepEqual(here.map((s) => s.context.localRank), here.map((_, i) => i));
    assert.ok(here.every((s) => s.context.localWorldSize === here.length && s.context.worldSize === 5));
  }
});

test("STRICT_SPREAD over 3 nodes: every collective across nodes gives every rank the same bits", async () => {
  const storagePath = tempDir();
  await new train.DataParallelTrainer(collectiveOps, {
    trainLoopConfig: { dir: storagePath },
    scalingConfig: { numWorkers: 3, placementStrategy: "STRICT_SPREAD" },
    runConfig: { name: "spread", storagePath },
  }).fit();
  const ranks = [0, 1, 2].map((r) => recorded<Record<string, { digest: string; values: number[] }>>(storagePath, "ops", r)[0] ?? {});
  const keys = Object.keys(ranks[0] ?? {});
  assert.ok(keys.length >= 15, `${keys.length} results`);
  for (const key of keys) assert.equal(new Set(ranks.map((r) => JSON.stringify(r[key]))).size, 1, `${key}: the same on every rank`);
});

test("the node of rank 1 dies mid-run: the group restarts on the nodes left from the latest checkpoint, and the run finishes", async () => {
  const storagePath = tempDir();
  const config: EpochConfig = { epochs: 4, dir: storagePath, holdAt: 2 };
  const trainer = new train.DataParallelTrainer(epochLoop, {
    trainLoopConfig: config,
    scalingConfig: { numWorkers: 2, placementStrategy: "STRICT_SPREAD" },
    runConfig: { name: "node-loss", storagePath, failureConfig: { maxFailures: 1 } },
  });
  const fit = trainer.fit();
  fit.catch(() => undefined);
  await waitFor(() => recorded(storagePath, "after", 1).length === 2, "two reports", 60_000);
  const victim = recorded<Start>(storagePath, "start", 1)[0]?.node;
  const node = env.cluster.nodes.find((n) => n.nodeId === victim);
  assert.ok(node !== undefined && node !== env.cluster.nodes[0], "rank 1 is on a worker node");
  await env.cluster.removeNode(node);
  fs.writeFileSync(path.join(storagePath, "release"), "");
  const result = await fit;
  assert.deepEqual(result.metricsHistory.map((m) => m["epoch"]), [0, 1, 2, 3]);
  for (const rank of [0, 1]) {
    const starts = recorded<Start>(storagePath, "start", rank);
    assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[0, null], [2, path.join(result.path, "checkpoint_000001")]]);
    assert.notEqual(starts[1]?.node, victim, "not on the dead node");
  }
});
