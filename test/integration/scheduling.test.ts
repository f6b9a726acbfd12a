/**
 * Issue 4, point 3: scheduling across nodes. Spillback when the local node is busy, custom
 * resources, SPREAD, node affinity (hard and soft), nodes added later, and actors placed
 * by the control service. One LocalCluster for the file; nodes are added as tests need them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { Gate } from "./gate.js";
import { waitFor } from "./helpers.js";
import { WhereActor, held, whereAmI } from "./fixtures/scheduling-remote.js";

const GET_MS = 60_000;

const count = (ids: readonly string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
};

describe("scheduling across nodes", () => {
  let cluster: LocalCluster;
  let head: LocalNode;
  let second: LocalNode;
  let third: LocalNode | undefined;

  /**
   * Leases of finished tasks go back after a short idle time: start each placement test from
   * an idle cluster. Placement reads each raylet's view, which hears of freed resources
   * through batched reports; a raylet sends a batched report before it answers the poll
   * behind availableResources(), so once this returns every raylet has been told.
   */
  const allFree = async (): Promise<void> => {
    await waitFor(
      async () => isDeepStrictEqual(await lux.availableResources(), await lux.clusterResources()),
      "every resource of the cluster to be free",
    );
  };

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1 } });
    head = cluster.nodes[0] as LocalNode;
    second = await cluster.addNode({ numCpus: 2, resources: { special: 2 } });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
  });

  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("spills over: with a 1-CPU head and a 2-CPU second node, 3 held tasks run at once across both", async () => {
    assert.equal(lux.getRuntimeContext().nodeId, head.nodeId, "the driver's local node is the head");
    const gate = await Gate.open();
    try {
      const refs = [1, 2, 3].map(() => held.remote(gate.port));
      await gate.waitArrived(3);
      const where = count(gate.arrived);
      assert.equal(where.get(head.nodeId), 1, `one task on the head: ${JSON.stringify([...where])}`);
      assert.equal(where.get(second.nodeId), 2, `two tasks on the second node: ${JSON.stringify([...where])}`);
      await gate.close();
      assert.deepEqual((await lux.get(refs, { timeoutMs: GET_MS })).sort(), [...gate.arrived].sort());
    } finally {
      await gate.close().catch(() => undefined);
    }
  });

  it("runs 300 tasks that need a custom resource only one node has on that node", async () => {
    const refs = Array.from({ length: 300 }, () => whereAmI.options({ resources: { special: 1 } }).remote());
    const nodes = await lux.get(refs, { timeoutMs: GET_MS });
    assert.deepEqual([...count(nodes)], [[second.nodeId, 300]]);
  });

  it("gives work to a node added later: queued requests spill to it", async () => {
    await allFree();
    const gate = await Gate.open();
    try {
      // 3 CPUs in the cluster: 3 tasks run, 2 wait until the new node joins.
      const refs = [1, 2, 3, 4, 5].map(() => held.remote(gate.port));
      await gate.waitArrived(3);
      third = await cluster.addNode({ numCpus: 2 });
      await gate.waitArrived(5);
      assert.equal(count(gate.arrived).get(third.nodeId), 2, `the two waiting tasks ran on the new node: ${gate.arrived.join(", ")}`);
      await gate.close();
      await lux.get(refs, { timeoutMs: GET_MS });
    } finally {
      await gate.close().catch(() => undefined);
    }
  });

  it('SPREAD puts held tasks on all 3 nodes (the default policy would pack two on the second node)', async () => {
    assert.ok(third !== undefined, "needs the node added by the previous test");
    await allFree();
    const gate = await Gate.open();
    try {
      const refs = [1, 2, 3].map(() => held.options({ schedulingStrategy: "SPREAD" }).remote(gate.port));
      await gate.waitArrived(3);
      const name = new Map([[head.nodeId, "head"], [second.nodeId, "second"], [third.nodeId, "third"]]);
      assert.deepEqual(
        new Set(gate.arrived),
        new Set([head.nodeId, second.nodeId, third.nodeId]),
        `one task on each node; they ran on: ${gate.arrived.map((id) => name.get(id) ?? id).join(", ")}`,
      );
      await gate.close();
      await lux.get(refs, { timeoutMs: GET_MS });
    } finally {
      await gate.close().catch(() => undefined);
    }
  });

  it("hard node affinity runs every task on the named node", async () => {
    const target = third ?? second;
    const pinned = whereAmI.options({ numCpus: 0.5, schedulingStrategy: { nodeId: target.nodeId, soft: false } });
    const nodes = await lux.get(Array.from({ length: 20 }, () => pinned.remote()), { timeoutMs: GET_MS });
    assert.deepEqual([...count(nodes)], [[target.nodeId, 20]]);
  });

  it("places an actor needing a resource only a later node has once that node joins; affinity to it after it is removed", async () => {
    const actor = WhereActor.options({ resources: { gadget: 1 } }).remote();
    const ref = actor.node.remote();
    const [ready] = await lux.wait([ref], { timeoutMs: 0 });
    assert.equal(ready.length, 0, "no node can host the actor yet");
    const gadgetNode = await cluster.addNode({ numCpus: 1, resources: { gadget: 1 } });
    assert.equal(await lux.get(ref, { timeoutMs: GET_MS }), gadgetNode.nodeId);

    await cluster.removeNode(gadgetNode);
    await waitFor(
      async () => (await lux.nodes()).some((n) => n.nodeId === gadgetNode.nodeId && !n.alive),
      "the removed node to be reported dead",
    );
    const hard = whereAmI.options({ schedulingStrategy: { nodeId: gadgetNode.nodeId, soft: false } }).remote();
    await assert.rejects(lux.get(hard, { timeoutMs: GET_MS }), (e: unknown) => {
      assert.ok(e instanceof lux.NodeAffinityError, `expected NodeAffinityError, got ${String(e)}`);
      assert.equal(e.code, "LUX_NODE_AFFINITY_FAILED");
      assert.equal(e.nodeId, gadgetNode.nodeId);
      assert.match(e.message, new RegExp(gadgetNode.nodeId));
      return true;
    });
    const unknown = whereAmI.options({ schedulingStrategy: { nodeId: "no-such-node", soft: false } }).remote();
    await assert.rejects(lux.get(unknown, { timeoutMs: GET_MS }), lux.NodeAffinityError);

    const soft = whereAmI.options({ schedulingStrategy: { nodeId: gadgetNode.nodeId, soft: true } }).remote();
    const ranOn = await lux.get(soft, { timeoutMs: GET_MS });
    assert.notEqual(ranOn, gadgetNode.nodeId);
    assert.ok((await lux.nodes()).some((n) => n.nodeId === ranOn && n.alive));
  });

  it("refuses a malformed schedulingStrategy at the call site", () => {
    assert.throws(() => whereAmI.options({ schedulingStrategy: "PACK" as never }), lux.InvalidOptionError);
    assert.throws(() => whereAmI.options({ schedulingStrategy: { nodeId: "x" } as never }), /schedulingStrategy\.soft/);
  });
});
