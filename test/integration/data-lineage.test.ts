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
import { same, slowCopy } from "./fixtures/data-lineage-defs.js";
import { withCluster } from "./helpers.js";

const suite = withCluster({ head: { numCpus: 0 } }, async (cluster) => {
  await cluster.addNode({ numCpus: 2 });
  await cluster.addNode({ numCpus: 2 });
  await cluster.waitForNodes(3);
  await lux.init({ address: cluster.address });
  data.DataContext.getCurrent().enableProgressBars = false;
});

test("killing a node that holds blocks mid-pipeline still gives exactly the input rows", { timeout: 180_000 }, async () => {
  // Blocks of 10,000 rows (about 120 KB): large enough to live in the nodes' stores, not inline in the driver.
  const n = 400_000;
  const ds = data.range(n, { parallelism: 40 }).mapBatches(slowCopy, { concurrency: 4 }).map(same);
  const seen: number[] = [];
  let killed = false;
  for await (const batch of ds.iterBatches({ batchSize: 5000 })) {
    for (let i = 0; i < batch.id.length; i++) {
      assert.equal(batch.v[i], (batch.id[i] as number) * 10);
      seen.push(batch.id[i] as number);
    }
    if (!killed && seen.length >= 40_000) {
      killed = true;
      // The first worker node: it ran reads and maps and holds blocks not consumed yet.
      await suite.cluster.removeNode(suite.cluster.nodes[1] as LocalNode);
      await suite.cluster.addNode({ numCpus: 2 });
    }
  }
  assert.ok(killed);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
});
