/**
 * Spillback and the cluster view: a raylet that spills a lease request to node X counts
 * the request's resources as taken on X until X reports. A request that ends without X
 * granting it (withdrawn, or handed on to another node) changes nothing on X, so X sends
 * no report: the raylet must not keep counting X's resources as used for good.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectControlService, type ControlServiceClient } from "@lux/core/internal";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { Gate } from "./gate.js";
import { waitFor } from "./helpers.js";
import { held, whereAmI } from "./fixtures/scheduling-remote.js";

const GET_MS = 60_000;

describe("spillback reservations", () => {
  let cluster: LocalCluster;
  let head: LocalNode;
  let x: LocalNode;
  let control: ControlServiceClient | undefined;

  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1 } });
    head = cluster.nodes[0] as LocalNode;
    x = await cluster.addNode({ numCpus: 1, resources: { x: 1 } });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
    control = await connectControlService(cluster.address, cluster.token);
  });

  after(async () => {
    control?.close();
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("a request spilled to a node and run elsewhere does not keep that node's CPU counted as used", async () => {
    assert.equal(lux.getRuntimeContext().nodeId, head.nodeId, "the driver's local node is the head");
    const gate = await Gate.open();
    try {
      // X's `x` is held (no CPU): work that needs `x` queues at X while X's CPU stays free.
      const holder = held.options({ numCpus: 0, resources: { x: 1 } }).remote(gate.port);
      await waitFor(() => gate.arrived.length >= 1, "the holder to run");
      assert.deepEqual(gate.arrived, [x.nodeId]);

      // The head has no `x`: it spills this request to X (counting X's CPU as taken), and it queues there.
      const moved = whereAmI.options({ numCpus: 1, resources: { x: 1 } }).remote();
      await waitFor(
        async () => (await (control as ControlServiceClient).demand()).some((d) => d.resources.x === 1 && d.resources.CPU === 1),
        "the request to be queued at X",
      );
      // A node that can run it now joins: X hands the request on to it. Nothing ever ran on X's CPU.
      const y = await cluster.addNode({ numCpus: 1, resources: { x: 1 } });
      assert.equal(await lux.get(moved, { timeoutMs: GET_MS }), y.nodeId);
      await waitFor(async () => (await lux.availableResources()).CPU === 3, "the 3 CPUs of the cluster to be free");

      // 3 free CPUs, one per node: 3 held 1-CPU tasks run at once, one of them on X.
      const refs = [1, 2, 3].map(() => held.remote(gate.port));
      const name = new Map([[head.nodeId, "head"], [x.nodeId, "X"], [y.nodeId, "Y"]]);
      const running = (): string => gate.arrived.slice(1).map((id) => name.get(id) ?? id).join(", ");
      await waitFor(() => gate.arrived.length >= 4, "3 held tasks to run at once", 10_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; running on: ${running()}`);
      });
      assert.deepEqual(running().split(", ").sort(), ["X", "Y", "head"]);
      await gate.close();
      await lux.get([holder, ...refs], { timeoutMs: GET_MS });
    } finally {
      await gate.close();
    }
  });
});
