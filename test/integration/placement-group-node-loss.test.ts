/**
 * Placement groups when a node dies, through the public API on a real cluster: the group
 * turns RESCHEDULING and gets the dead node's bundles back on a live node under its
 * strategy (STRICT_SPREAD waits for a node it does not use yet); an actor in the group
 * restarts per maxRestarts, in the rescheduled bundle.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { MemberActor } from "./fixtures/placement-group-defs.js";
import { waitFor } from "./helpers.js";

const GET_MS = 60_000;

describe("placement groups: node loss", () => {
  let cluster: LocalCluster | undefined;
  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 1 } });
    await lux.init({ address: cluster.address });
  });
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("STRICT_SPREAD: the dead node's bundle waits for a new node, then the group is CREATED again and its actor restarts there", async () => {
    const c = cluster as LocalCluster;
    const second = await c.addNode({ numCpus: 2 });
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: "STRICT_SPREAD" });
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
    const before = (await lux.placementGroupTable(pg)).bundleNodeIds;
    const onSecond = before.indexOf(second.nodeId);
    assert.notEqual(onSecond, -1);
    const actor = MemberActor.options({ maxRestarts: 1, schedulingStrategy: { placementGroup: pg, bundleIndex: onSecond } }).remote();
    assert.equal((await lux.get(actor.where.remote(), { timeoutMs: GET_MS })).group, pg.id);

    await c.removeNode(second);
    await waitFor(async () => (await lux.placementGroupTable(pg)).state === "RESCHEDULING", "the group to be rescheduling");
    const row = await lux.placementGroupTable(pg);
    assert.equal(row.bundleNodeIds[onSecond], null, "the dead node's bundle holds nothing");
    assert.equal(row.bundleNodeIds[1 - onSecond], before[1 - onSecond], "the other bundle stays");

    const third = await c.addNode({ numCpus: 1 });
    await waitFor(async () => (await lux.placementGroupTable(pg)).state === "CREATED", "the group to be created again");
    assert.equal((await lux.placementGroupTable(pg)).bundleNodeIds[onSecond], third.nodeId);
    const seen = await lux.get(actor.where.remote(), { timeoutMs: GET_MS });
    assert.equal(seen.group, pg.id, "the actor restarted in its bundle");
    const node = await lux.get(lux.remote(() => lux.getRuntimeContext().nodeId).options({ schedulingStrategy: { placementGroup: pg, bundleIndex: onSecond } }).remote(), { timeoutMs: GET_MS });
    assert.equal(node, third.nodeId);
    await lux.removePlacementGroup(pg);
  });
});
