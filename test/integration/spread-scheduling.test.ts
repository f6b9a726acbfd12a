/**
 * The SPREAD scheduling strategy, as Ray's test_spread_scheduling_strategy checks it:
 * successive SPREAD requests of a job go round-robin over the nodes that can run them,
 * whatever their load, so small tasks that would all fit on one node still run on every
 * node. Issue 13, point 8. Three equal nodes on 127.0.0.2, .3 and .4.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { Gate } from "./gate.js";
import { held, whereAfter } from "./fixtures/scheduling-remote.js";

const GET_MS = 60_000;

/** Tasks per node id. */
function perNode(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe("SPREAD scheduling strategy", () => {
  let cluster: LocalCluster;

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1, nodeIp: "127.0.0.2" } });
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.3" });
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.4" });
    await cluster.waitForNodes(3);
    await lux.init({ address: cluster.address });
  });
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  const nineSpread = (): Promise<string[]> => {
    const spread = whereAfter.options({ numCpus: 0.1, schedulingStrategy: "SPREAD" });
    return lux.get(Array.from({ length: 9 }, () => spread.remote(300)), { timeoutMs: GET_MS });
  };
  const threeEach = (ran: readonly string[]): void => {
    const counts = perNode(ran);
    const names = new Map(cluster.nodes.map((n, i) => [n.nodeId, `node ${i}`]));
    const shown = JSON.stringify([...counts].map(([id, n]) => [names.get(id) ?? id, n]));
    assert.deepEqual([...counts.keys()].sort(), cluster.nodes.map((n) => n.nodeId).sort(), `ran on ${counts.size} of 3 nodes: ${shown}`);
    assert.deepEqual([...counts.values()], [3, 3, 3], `tasks per node: ${shown}`);
  };

  test("9 SPREAD tasks of numCpus 0.1 lasting 300 ms run on all 3 nodes, 3 on each (they would all fit on one)", async () => {
    threeEach(await nineSpread());
  });

  test("whatever their load: with half the driver's node taken by a running task, it still runs its 3", async () => {
    const head = cluster.nodes[0];
    assert.ok(head !== undefined && lux.getRuntimeContext().nodeId === head.nodeId, "the driver's node is the head");
    const gate = await Gate.open();
    try {
      const busy = held.options({ numCpus: 0.5, schedulingStrategy: { nodeId: head.nodeId, soft: false } }).remote(gate.port);
      await gate.waitArrived(1);
      threeEach(await nineSpread());
      await gate.close();
      assert.equal(await lux.get(busy, { timeoutMs: GET_MS }), head.nodeId);
    } finally {
      await gate.close().catch(() => undefined);
    }
  });
});
