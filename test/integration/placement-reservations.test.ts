/**
 * Reservations in the cluster views: a raylet that spills a lease request to node X, and
 * the control service that places an actor on X, count the request's resources as taken on
 * X until X reports. A request X does not grant (withdrawn, or queued there and handed on to
 * another node) changes nothing on X, so X sends no report: neither may keep counting X's
 * resources as used for good.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectControlService, type ControlServiceClient } from "@lux/launcher";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { Gate } from "./gate.js";
import { waitFor } from "./helpers.js";
import { type Where, WhereActor, held, whereAmI } from "./fixtures/scheduling-remote.js";

const GET_MS = 60_000;

interface Setup {
  cluster: LocalCluster;
  head: LocalNode;
  /** 1 CPU and the custom resource `x`, which the head lacks. */
  x: LocalNode;
  control: ControlServiceClient;
}

/** For the enclosing describe: a 1-CPU head and node X, a driver connected, a control-service client. */
function reservationCluster(): Setup {
  const s = {} as Setup;
  let control: ControlServiceClient | undefined;
  before(async () => {
    s.cluster = await LocalCluster.start({ head: { numCpus: 1 } });
    s.head = s.cluster.nodes[0] as LocalNode;
    s.x = await s.cluster.addNode({ numCpus: 1, resources: { x: 1 } });
    await s.cluster.waitForNodes(2);
    await lux.init({ address: s.cluster.address });
    control = s.control = await connectControlService(s.cluster.address, s.cluster.token);
  });
  after(async () => {
    control?.close();
    await lux.shutdown();
    await s.cluster?.shutdown();
  });
  return s;
}

describe("spillback reservations in a raylet's view", () => {
  const s = reservationCluster();

  it("a request spilled to a node and run elsewhere does not keep that node's CPU counted as used", async () => {
    assert.equal(lux.getRuntimeContext().nodeId, s.head.nodeId, "the driver's local node is the head");
    const gate = await Gate.open();
    try {
      // X's `x` is held (no CPU): work that needs `x` queues at X while X's CPU stays free.
      const holder = held.options({ numCpus: 0, resources: { x: 1 } }).remote(gate.port);
      await waitFor(() => gate.arrived.length >= 1, "the holder to run");
      assert.deepEqual(gate.arrived, [s.x.nodeId]);

      // The head has no `x`: it spills this request to X (counting X's CPU as taken), and it queues there.
      const moved = whereAmI.options({ numCpus: 1, resources: { x: 1 } }).remote();
      await waitFor(
        async () => (await s.control.demand()).some((d) => d.resources.x === 1 && d.resources.CPU === 1),
        "the request to be queued at X",
      );
      // A node that can run it now joins: X hands the request on to it. Nothing ever ran on X's CPU.
      const y = await s.cluster.addNode({ numCpus: 1, resources: { x: 1 } });
      assert.equal(await lux.get(moved, { timeoutMs: GET_MS }), y.nodeId);
      await waitFor(async () => (await lux.availableResources()).CPU === 3, "the 3 CPUs of the cluster to be free");

      // 3 free CPUs, one per node: 3 held 1-CPU tasks run at once, one of them on X.
      const refs = [1, 2, 3].map(() => held.remote(gate.port));
      const name = new Map([[s.head.nodeId, "head"], [s.x.nodeId, "X"], [y.nodeId, "Y"]]);
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

describe("actor placement reservations in the control service's view", () => {
  const s = reservationCluster();

  it("an actor's lease request handed on by node X does not keep X's CPU counted as used by actor placement", async () => {
    const gate = await Gate.open();
    const actors: lux.ActorHandle<Where>[] = [];
    try {
      // X's `x` is held (no CPU): an actor that needs `x` queues at X while X's CPU stays free.
      const holder = held.options({ numCpus: 0, resources: { x: 1 } }).remote(gate.port);
      await gate.waitArrived(1);
      assert.deepEqual(gate.arrived, [s.x.nodeId]);
      // availableResources() makes X send its batched report first: the control service knows `x` is taken.
      await waitFor(async () => (await lux.availableResources()).x === undefined, "X's `x` to be taken");

      // Only X can ever host it: the control service places it there (counting X's CPU as taken), and it queues.
      const moved = WhereActor.options({ numCpus: 1, resources: { x: 1 } }).remote();
      actors.push(moved);
      const movedAt = moved.node.remote();
      await waitFor(
        async () => (await s.control.demand()).some((d) => d.kind === "actor" && d.resources.x === 1),
        "the actor's lease request to be queued at X",
      );
      // A node that can host it now joins: X hands the request on, and the actor is placed on Y.
      // Nothing ever ran on X's CPU, so X sends no report.
      const y = await s.cluster.addNode({ numCpus: 1, resources: { x: 1 } });
      assert.equal(await lux.get(movedAt, { timeoutMs: GET_MS }), y.nodeId);
      await waitFor(async () => (await lux.availableResources()).CPU === 2, "the CPUs of the head and X to be free");

      // The head and X are idle, Y hosts an actor: zero-CPU actors go to the least loaded, head and X in turn.
      const name = new Map([[s.head.nodeId, "head"], [s.x.nodeId, "X"], [y.nodeId, "Y"]]);
      const placed: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = WhereActor.remote();
        actors.push(a);
        const at = await lux.get(a.node.remote(), { timeoutMs: GET_MS });
        placed.push(name.get(at) ?? at);
      }
      assert.ok(placed.includes("X"), `3 zero-CPU actors with the head and X idle: none was placed on X (placed on: ${placed.join(", ")})`);
      assert.ok(!placed.includes("Y"), `Y is the busiest node (placed on: ${placed.join(", ")})`);
      await gate.close();
      await lux.get(holder, { timeoutMs: GET_MS });
    } finally {
      await Promise.all(actors.map((a) => lux.kill(a, { noRestart: true }).catch(() => undefined)));
      await gate.close();
    }
  });
});
