/**
 * Issue 14, point 5: node labels and label selectors through the public API on a
 * LocalCluster. Labels given to nodes (and the built-in lux.io/node-id) in lux.nodes() and
 * getRuntimeContext(); tasks, actors and placement-group bundles placed only on matching
 * nodes; malformed selectors refused at the call; work no node matches stays pending with
 * one warning per shape in the submitting driver's output, and runs once a matching node joins.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { fixtures, runScript, startScript, waitFor } from "./helpers.js";
import { WhereActor, myNodeLabels, whereAmI } from "./fixtures/labels-remote.js";

const GET_MS = 60_000;
const NODE_ID = "lux.io/node-id";

describe("node labels and label selectors", () => {
  let cluster: LocalCluster;
  let head: LocalNode;
  let a: LocalNode;
  let b: LocalNode;

  /** The nodes `n` tasks with this selector ran on. */
  const ranOn = async (labelSelector: Record<string, string>, n = 12): Promise<Set<string>> =>
    new Set(await lux.get(Array.from({ length: n }, () => whereAmI.options({ labelSelector }).remote()), { timeoutMs: GET_MS }));

  before(async () => {
    // numGpus: 0 on every node: no GPU detection, so no accelerator-type label whatever this machine has.
    cluster = await LocalCluster.start({ head: { numCpus: 1, numGpus: 0, labels: { zone: "h" } } });
    head = cluster.nodes[0] as LocalNode;
    a = await cluster.addNode({ numCpus: 2, numGpus: 0, labels: { zone: "a", market: "spot", gpu: "k80" } });
    b = await cluster.addNode({ numCpus: 2, numGpus: 0, labels: { zone: "b", market: "ondemand", region: "us" } });
    await cluster.waitForNodes(3);
    await lux.init({ address: cluster.address });
  });

  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("lux.nodes() gives each node's labels with lux.io/node-id; getRuntimeContext().nodeLabels the current node's", async () => {
    const nodes = new Map((await lux.nodes()).map((n) => [n.nodeId, n.labels]));
    assert.deepEqual(nodes.get(head.nodeId), { zone: "h", [NODE_ID]: head.nodeId });
    assert.deepEqual(nodes.get(a.nodeId), { zone: "a", market: "spot", gpu: "k80", [NODE_ID]: a.nodeId });
    assert.deepEqual(nodes.get(b.nodeId), { zone: "b", market: "ondemand", region: "us", [NODE_ID]: b.nodeId });
    assert.deepEqual(lux.getRuntimeContext().nodeLabels, { zone: "h", [NODE_ID]: head.nodeId }, "the driver runs on the head");
    const inA = await lux.get(myNodeLabels.options({ labelSelector: { zone: "a" } }).remote(), { timeoutMs: GET_MS });
    assert.deepEqual(inA, { zone: "a", market: "spot", gpu: "k80", [NODE_ID]: a.nodeId }, "a task sees its node's labels");
  });

  it("tasks run only on nodes that satisfy every condition of their selector", async () => {
    assert.deepEqual(await ranOn({ zone: "a" }), new Set([a.nodeId]));
    assert.deepEqual(await ranOn({ region: "in(us,eu)" }), new Set([b.nodeId]));
    assert.deepEqual(await ranOn({ zone: "b", market: "!spot", region: "in(us,eu)", gpu: "!in(k80)" }), new Set([b.nodeId]));
    assert.deepEqual(await ranOn({ [NODE_ID]: a.nodeId }), new Set([a.nodeId]), "the built-in label selects one node");
    // The head lacks market and gpu: it satisfies !spot and !in(k80).
    for (const selector of [{ market: "!spot" }, { gpu: "!in(k80)" }]) {
      const where = await ranOn(selector, 30);
      assert.ok([...where].every((id) => id === head.nodeId || id === b.nodeId), `${JSON.stringify(selector)} ran on ${[...where].join(", ")}`);
    }
    // The driver's own node does not match: the lease spills from it at once, idle as it is.
    assert.deepEqual(await ranOn({ zone: "in(a,b)", market: "in(spot)" }), new Set([a.nodeId]));
  });

  it("actors are placed only on matching nodes", async () => {
    const inB = WhereActor.options({ labelSelector: { zone: "b" } }).remote();
    const noMarket = WhereActor.options({ labelSelector: { market: "!in(spot,ondemand)" } }).remote();
    assert.equal(await lux.get(inB.node.remote(), { timeoutMs: GET_MS }), b.nodeId);
    assert.equal(await lux.get(noMarket.node.remote(), { timeoutMs: GET_MS }), head.nodeId, "a missing label satisfies !in(...)");
    await lux.kill(inB);
    await lux.kill(noMarket);
  });

  it("a malformed selector throws InvalidOptionError at the call, naming the key", () => {
    const refused = (f: () => unknown, option: string): void => {
      assert.throws(f, (e: unknown) => e instanceof lux.InvalidOptionError && e.message.includes(`invalid option ${option}:`), option);
    };
    refused(() => whereAmI.options({ labelSelector: { zone: "in()" } }), "labelSelector.zone");
    refused(() => whereAmI.options({ labelSelector: { "bad key": "a" } }), "labelSelector.bad key");
    refused(() => whereAmI.options({ labelSelector: { region: "in(us,eu" } }), "labelSelector.region");
    refused(() => WhereActor.options({ labelSelector: { zone: "!!a" } }), "labelSelector.zone");
    refused(() => whereAmI.options({ labelSelector: "zone=a" as never }), "labelSelector");
    refused(() => lux.placementGroup([{ CPU: 1 }], { bundleLabelSelector: [{ zone: "a b" }] }), "bundleLabelSelector[0].zone");
    refused(() => lux.placementGroup([{ CPU: 1 }, { CPU: 1 }], { bundleLabelSelector: [{ zone: "a" }] }), "bundleLabelSelector");
  });

  it("placement-group bundles go only to nodes matching their bundleLabelSelector", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: "PACK", bundleLabelSelector: [{ zone: "b" }, { zone: "a" }] });
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
    assert.deepEqual((await lux.placementGroupTable(pg)).bundleNodeIds, [b.nodeId, a.nodeId], "PACK would use one node: the selectors split it");
    await lux.removePlacementGroup(pg);
    const impossible = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: "STRICT_PACK", bundleLabelSelector: [{ zone: "a" }, { zone: "b" }] });
    assert.equal(await impossible.wait({ timeoutMs: 500 }), false, "no one node matches both bundles");
    assert.equal((await lux.placementGroupTable(impossible)).state, "PENDING");
    await lux.removePlacementGroup(impossible);
  });

  it("work no node matches stays pending, warned once per shape in its driver's output, and runs when a matching node joins", async () => {
    const driver = startScript(path.join(fixtures, "labels-pending.ts"), { env: { LUX_ADDRESS: cluster.address } });
    const pg = lux.placementGroup([{ CPU: 1 }], { bundleLabelSelector: [{ zone: "c" }] });
    try {
      await driver.line(/^PENDING ready=0$/m, GET_MS);
      const warnings = (): string[] => driver.stderr().split("\n").filter((l) => l.includes("WARN") && l.includes('labels match {"zone":"c"}'));
      await waitFor(() => warnings().length >= 2, "the task and actor warnings in the driver's output");
      assert.equal(await pg.wait({ timeoutMs: 0 }), false, "the group is pending too");
      const c = await cluster.addNode({ numCpus: 2, numGpus: 0, labels: { zone: "c" } });
      const result = (await driver.line(/^RESULT (.*)$/m, GET_MS))[1] as string;
      assert.deepEqual(JSON.parse(result), [c.nodeId, c.nodeId, c.nodeId, c.nodeId], "two tasks and two actors ran on the new node");
      assert.equal((await driver.exited()).code, 0, driver.stderr());
      const seen = warnings();
      assert.equal(seen.length, 2, `one warning per shape, got:\n${seen.join("\n")}`);
      assert.equal(seen.filter((l) => /task whereAmI requests \{"CPU":1\} on a node whose labels match/.test(l)).length, 1);
      assert.equal(seen.filter((l) => /actor Where is pending: no alive node can ever provide \{"CPU":1\} on a node whose labels match/.test(l)).length, 1);
      assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
      assert.deepEqual((await lux.placementGroupTable(pg)).bundleNodeIds, [c.nodeId]);
    } finally {
      driver.kill();
      await lux.removePlacementGroup(pg);
    }
  });

  it("lux.init({ labels }) labels the private cluster's node", async () => {
    const run = await runScript(path.join(fixtures, "labels-init.ts"), { env: { LUX_ADDRESS: "" } });
    assert.equal(run.code, 0, run.stderr);
    const seen = JSON.parse(/^RESULT (.*)$/m.exec(run.stdout)?.[1] ?? "null") as { nodeId: string; driver: unknown; task: unknown; nodes: unknown[] };
    const labels = { zone: "x", [NODE_ID]: seen.nodeId };
    assert.deepEqual(seen, { nodeId: seen.nodeId, driver: labels, task: labels, nodes: [labels] });
  });
});
