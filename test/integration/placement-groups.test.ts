/**
 * Placement groups through the public API on a real cluster: a group that fits turns
 * CREATED and its bundles count as used in lux.availableResources(); one that does not
 * stays PENDING and holds nothing until a node that makes it fit joins; removal frees the
 * resources and the name; lookups by name; the checks made at the call site.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { waitFor } from "./helpers.js";

const GET_MS = 60_000;

/** What a task sees of a group passed to it. */
const describeGroup = lux.remote((g: lux.PlacementGroup) => ({ id: g.id, bundles: g.bundleSpecs, isGroup: g instanceof lux.PlacementGroup }));

describe("placement groups", () => {
  let cluster: LocalCluster | undefined;
  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 2 } });
    await lux.init({ address: cluster.address });
  });
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("a group that fits turns CREATED and its bundles show as used; removal frees them and its name", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: "STRICT_PACK", name: "fits" });
    assert.match(pg.id, /^pg-/);
    assert.deepEqual(pg.bundleSpecs, [{ CPU: 1 }, { CPU: 1 }]);
    const [ready] = await lux.wait([pg.ready()], { timeoutMs: GET_MS });
    assert.equal(ready !== undefined, true);
    const got = await lux.get(pg.ready(), { timeoutMs: GET_MS });
    assert.equal(got.id, pg.id, "ready() resolves to the group");
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
    const row = await lux.placementGroupTable(pg);
    assert.equal(row.state, "CREATED");
    assert.equal(row.strategy, "STRICT_PACK");
    assert.equal(row.bundleNodeIds.length, 2);
    await waitFor(async () => (await lux.availableResources())["CPU"] === undefined, "both CPUs shown as used");
    assert.equal((await lux.getPlacementGroup("fits")).id, pg.id);
    await assert.rejects(lux.placementGroup([{ CPU: 1 }], { name: "fits" }).wait({ timeoutMs: GET_MS }), lux.PlacementGroupNameTakenError);

    await lux.removePlacementGroup(pg);
    await lux.removePlacementGroup(pg);
    assert.equal((await lux.placementGroupTable(pg)).state, "REMOVED");
    const seen = await lux.get(describeGroup.remote(pg), { timeoutMs: GET_MS });
    assert.deepEqual(seen, { id: pg.id, bundles: pg.bundleSpecs, isGroup: true }, "a group can be passed to a task");
    await waitFor(async () => (await lux.availableResources())["CPU"] === 2, "the CPUs free again");
    await assert.rejects(lux.getPlacementGroup("fits"), lux.PlacementGroupNotFoundError);
    const again = lux.placementGroup([{ CPU: 1 }], { name: "fits" });
    assert.equal(await again.wait({ timeoutMs: GET_MS }), true, "a removed group's name is reused");
    await lux.removePlacementGroup(again);
  });

  it("a group that does not fit stays PENDING holding nothing, until a node that makes it fit joins", async () => {
    const pg = lux.placementGroup([{ CPU: 2 }, { CPU: 2 }], { strategy: "STRICT_SPREAD" });
    assert.equal(await pg.wait({ timeoutMs: 500 }), false);
    assert.equal((await lux.placementGroupTable(pg)).state, "PENDING");
    assert.deepEqual((await lux.placementGroupTable(pg)).bundleNodeIds, [null, null]);
    assert.equal((await lux.availableResources())["CPU"], 2, "a pending group holds nothing");
    const node = await cluster?.addNode({ numCpus: 2 });
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
    const row = await lux.placementGroupTable(pg);
    assert.equal(row.state, "CREATED");
    assert.equal(new Set(row.bundleNodeIds).size, 2);
    assert.equal(row.bundleNodeIds.includes(node?.nodeId ?? ""), true);
    await waitFor(async () => (await lux.availableResources())["CPU"] === undefined, "all four CPUs shown as used");
    const table = await lux.placementGroupTable();
    assert.equal(table.some((r) => r.placementGroupId === pg.id && r.state === "CREATED"), true);
    await lux.removePlacementGroup(pg);
    await waitFor(async () => (await lux.availableResources())["CPU"] === 4, "the CPUs free again");
  });

  it("removing a pending group is idempotent and its wait answers false", async () => {
    const pg = lux.placementGroup([{ CPU: 100 }]);
    await lux.removePlacementGroup(pg);
    await lux.removePlacementGroup(pg);
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), false);
    assert.equal((await lux.placementGroupTable(pg)).state, "REMOVED");
  });

  it("bad bundles and strategies throw InvalidOptionError at the call site, naming the option", () => {
    assert.throws(() => lux.placementGroup([]), (e: unknown) => e instanceof lux.InvalidOptionError && /bundles/.test(e.message));
    assert.throws(() => lux.placementGroup([{ CPU: 0 }]), (e: unknown) => e instanceof lux.InvalidOptionError && /bundles\[0\]/.test(e.message));
    assert.throws(
      () => lux.placementGroup([{ CPU: 1 }], { strategy: "TIGHT" as lux.PlacementStrategy }),
      (e: unknown) => e instanceof lux.InvalidOptionError && /strategy/.test(e.message),
    );
  });
});
