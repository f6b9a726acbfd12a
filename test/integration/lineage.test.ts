/**
 * Node loss and lineage reconstruction: a task result whose only copy was on a removed node
 * is made again by re-running its task (its lost arguments first), within the task's
 * maxRetries; a result that cannot be made again, or whose owner died with the node, rejects
 * with ObjectLostError or OwnerDiedError. Every get has a deadline far above normal, so a
 * hang fails the test instead of stalling it.
 *
 * Three nodes at a time: the head (the driver's, with the run-counting actor) and two more;
 * each test removes one and adds a fresh one for the next. Tasks are placed with
 * `schedulingStrategy: { nodeId, soft: true }`, so re-runs go elsewhere once the node is gone.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as lux from "lux";
import type { LocalNode } from "lux/testing";
import { N, ProducerActor, RunsActor, double, produce, putFromTask, sum, type Runs } from "./fixtures/lineage-defs.js";
import { withCluster } from "./helpers.js";

const DEADLINE = { timeoutMs: 90_000 };

describe("lineage reconstruction after node loss", { timeout: 240_000 }, () => {
  let runs: lux.ActorHandle<Runs>;
  const spare: LocalNode[] = [];

  const on = (node: LocalNode, maxRetries: number): lux.TaskOptions => ({ schedulingStrategy: { nodeId: node.nodeId, soft: true }, maxRetries });

  /** A node to lose: one of the two non-head nodes, replaced by a fresh one once removed. */
  async function loseNode(node: LocalNode): Promise<void> {
    await suite.cluster.removeNode(node);
    spare.splice(spare.indexOf(node), 1);
    spare.push(await suite.cluster.addNode({ numCpus: 1 }));
  }

  const suite = withCluster({ head: { numCpus: 1 } }, async (cluster) => {
    spare.push(await cluster.addNode({ numCpus: 1 }), await cluster.addNode({ numCpus: 1 }));
    await cluster.waitForNodes(3);
    await lux.init({ address: cluster.address });
    const head = cluster.nodes[0] as LocalNode;
    runs = RunsActor.options({ name: "runs", numCpus: 0, schedulingStrategy: { nodeId: head.nodeId, soft: false } }).remote();
    await lux.get(runs.get.remote("warm-up"), DEADLINE);
  });

  test("a large task result lost with its node is rebuilt on get by re-running the task", async () => {
    const node = spare[0] as LocalNode;
    const ref = produce.options(on(node, 2)).remote("single", 1);
    await lux.wait([ref], { numReturns: 1, ...DEADLINE });
    assert.equal(await lux.get(runs.get.remote("single"), DEADLINE), 1);
    await loseNode(node);
    const a = await lux.get(ref, DEADLINE);
    assert.equal(a.length, N);
    assert.equal(a[0], 1);
    assert.equal(a[N - 1], N);
    assert.equal(await lux.get(runs.get.remote("single"), DEADLINE), 2, "the task ran twice");
  });

  test("a chain a → b whose results were both on the lost node is rebuilt recursively", async () => {
    const node = spare[0] as LocalNode;
    const a = produce.options(on(node, 1)).remote("chain-a", 10);
    const b = double.options(on(node, 1)).remote("chain-b", a);
    await lux.wait([b], { numReturns: 1, ...DEADLINE });
    await loseNode(node);
    const got = await lux.get(b, DEADLINE);
    assert.equal(got[0], 20);
    assert.equal(got[N - 1], 2 * (10 + N - 1));
    assert.deepEqual(await lux.get([runs.get.remote("chain-a"), runs.get.remote("chain-b")], DEADLINE), [2, 2]);
  });

  test("a lost task result whose task has maxRetries: 0 rejects with ObjectLostError saying why", async () => {
    const node = spare[0] as LocalNode;
    const ref = produce.options(on(node, 0)).remote("no-retries", 3);
    await lux.wait([ref], { numReturns: 1, ...DEADLINE });
    await loseNode(node);
    await assert.rejects(lux.get(ref, DEADLINE), (e: unknown) => {
      assert.ok(e instanceof lux.ObjectLostError);
      assert.ok(!(e instanceof lux.OwnerDiedError));
      assert.match(e.message, /no retries left.*maxRetries: 0/);
      return true;
    });
    // A task taking it as an argument fails with the same error instead of waiting.
    await assert.rejects(lux.get(sum.remote(ref), DEADLINE), lux.ObjectLostError);
    assert.equal(await lux.get(runs.get.remote("no-retries"), DEADLINE), 1, "the task was not re-run");
  });

  test("Ray's test_basic_reconstruction_actor_task: a large actor-call result lost with its node is rebuilt by calling the restarted actor", async () => {
    const node = spare[0] as LocalNode;
    const where = { schedulingStrategy: { nodeId: node.nodeId, soft: true } } as const;
    const producer = ProducerActor.options({ maxRestarts: 1, maxTaskRetries: 1, ...where }).remote();
    const ref = producer.produce.remote("actor-call", 5);
    await lux.wait([ref], { numReturns: 1, ...DEADLINE });
    assert.equal(await lux.get(producer.node.remote(), DEADLINE), node.nodeId);
    await loseNode(node);
    const a = await lux.get(ref, DEADLINE);
    assert.equal(a.length, N);
    assert.equal(a[0], 5);
    assert.equal(a[N - 1], 5 + N - 1);
    assert.equal(await lux.get(runs.get.remote("actor-call"), DEADLINE), 2, "the call ran again");
    assert.notEqual(await lux.get(producer.node.remote(), DEADLINE), node.nodeId, "on the restarted actor, elsewhere");
  });

  test("a lost actor-call result whose actor has no maxTaskRetries rejects with ObjectLostError saying why", async () => {
    const node = spare[0] as LocalNode;
    const producer = ProducerActor.options({ maxRestarts: 1, schedulingStrategy: { nodeId: node.nodeId, soft: true } }).remote();
    const ref = producer.produce.remote("actor-call-once", 6);
    await lux.wait([ref], { numReturns: 1, ...DEADLINE });
    await loseNode(node);
    await assert.rejects(lux.get(ref, DEADLINE), (e: unknown) => {
      assert.ok(e instanceof lux.ObjectLostError, String(e));
      assert.match(e.message, /actor method produce, whose actor has no maxTaskRetries/);
      return true;
    });
    assert.equal(await lux.get(runs.get.remote("actor-call-once"), DEADLINE), 1, "the call was not run again");
  });

  test("a put object whose owner died with its node rejects with OwnerDiedError, in get and as a task argument", async () => {
    // A put object lives on its owner's node, so it can only be lost together with its owner.
    const node = spare[0] as LocalNode;
    const { ref } = await lux.get(putFromTask.options(on(node, 0)).remote(7), DEADLINE);
    assert.equal(await lux.get(sum.remote(ref), DEADLINE), 7 * N);
    await loseNode(node);
    await assert.rejects(lux.get(ref, DEADLINE), lux.OwnerDiedError);
    await assert.rejects(lux.get(sum.remote(ref), DEADLINE), lux.OwnerDiedError);
  });
});
