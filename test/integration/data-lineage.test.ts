/**
 * @lux/data on a 2-node LocalCluster (issue 18, point 9): the node holding blocks is killed
 * mid-pipeline and the result is still exact. Core re-runs the tasks that were running there;
 * the blocks whose only copy was there are made again from their lineage (the read or map task
 * that made them, on its inputs made again first).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import type { LocalNode } from "lux/testing";
import { TimesTen, same, slowCopy, slowSame } from "./fixtures/data-lineage-defs.js";
import { withCluster } from "./helpers.js";

const suite = withCluster({ head: { numCpus: 0 } }, async (cluster) => {
  await cluster.addNode({ numCpus: 2 });
  await cluster.addNode({ numCpus: 2 });
  await cluster.waitForNodes(3);
  await lux.init({ address: cluster.address });
  data.DataContext.getCurrent().enableProgressBars = false;
});

/** Reads `ds` to the end, killing the node `victim` picks (and adding another) once 40,000 rows came; the ids seen. */
async function readKillingANode(ds: data.Dataset<{ id: number; v: number }>, victim: () => Promise<LocalNode>): Promise<number[]> {
  const seen: number[] = [];
  let killed = false;
  for await (const batch of ds.iterBatches({ batchSize: 5000 })) {
    for (let i = 0; i < batch.id.length; i++) {
      assert.equal(batch.v[i], (batch.id[i] as number) * 10);
      seen.push(batch.id[i] as number);
    }
    if (!killed && seen.length >= 40_000) {
      killed = true;
      await suite.cluster.removeNode(await victim());
      await suite.cluster.addNode({ numCpus: 2 });
    }
  }
  assert.ok(killed);
  return seen.sort((a, b) => a - b);
}

test("killing a node that holds blocks mid-pipeline still gives exactly the input rows", { timeout: 180_000 }, async () => {
  // Blocks of 10,000 rows (about 120 KB): large enough to live in the nodes' stores, not inline in the driver.
  const n = 400_000;
  const ds = data.range(n, { parallelism: 40 }).mapBatches(slowCopy, { concurrency: 4 }).map(same);
  // The first worker node: it ran reads and maps and holds blocks not consumed yet.
  const first = async (): Promise<LocalNode> => suite.cluster.nodes[1] as LocalNode;
  assert.deepEqual(await readKillingANode(ds, first), Array.from({ length: n }, (_, i) => i));
});

test("a class UDF's blocks have lineage too: the node holding them is killed, the rows are still exact", { timeout: 180_000 }, async () => {
  const n = 400_000;
  // The pool's actors restart (and their calls run again) after their node died; its blocks lost
  // with the node, waiting for the slow step, are made again. Two actors: the reads and the slow
  // step need the other CPUs.
  const pool = { concurrency: 2, maxRestarts: -1, maxTaskRetries: -1 };
  const ds = data.range(n, { parallelism: 40 }).mapBatches(TimesTen, pool).mapBatches(slowSame, { concurrency: 2 });
  const poolNode = async (): Promise<LocalNode> => {
    const actors = await lux.state.listActors({ filters: [["className", "=", "MapWorker"], ["state", "=", "ALIVE"]] });
    const nodeId = actors.items[0]?.nodeId;
    const node = suite.cluster.nodes.find((x) => x.nodeId === nodeId);
    assert.ok(node !== undefined && node !== suite.cluster.nodes[0], `a pool actor on a worker node (${nodeId})`);
    return node;
  };
  assert.deepEqual(await readKillingANode(ds, poolNode), Array.from({ length: n }, (_, i) => i));
});
