/**
 * Work scheduled into placement groups, through the public API on a real cluster: tasks and
 * actors in a group use only its reservation and work outside cannot touch it; removing the
 * group kills what runs in it (actor calls reject ActorDiedError, running and queued tasks
 * PlacementGroupRemovedError); bad strategies throw InvalidOptionError at the call site;
 * captureChildTasks and lux.getCurrentPlacementGroup().
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { MemberActor, holdTask, parentTask, where } from "./fixtures/placement-group-defs.js";
import { Gate } from "./gate.js";
import { held } from "./fixtures/scheduling-remote.js";

const GET_MS = 60_000;

describe("scheduling into placement groups", () => {
  let cluster: LocalCluster | undefined;
  before(async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 3 } });
    await lux.init({ address: cluster.address });
  });
  after(async () => {
    await lux.shutdown();
    await cluster?.shutdown();
  });

  it("tasks and actors in a group run in its bundles; work outside cannot use what it reserved", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }]);
    assert.equal(await pg.wait({ timeoutMs: GET_MS }), true);
    assert.equal(lux.getCurrentPlacementGroup(), null, "the driver is in no group");
    const inside = await lux.get(where.options({ schedulingStrategy: { placementGroup: pg, bundleIndex: 1 } }).remote(), { timeoutMs: GET_MS });
    assert.deepEqual(inside, { group: pg.id, assigned: { CPU: 1 } });
    const anyBundle = await lux.get(where.options({ schedulingStrategy: { placementGroup: pg } }).remote(), { timeoutMs: GET_MS });
    assert.equal(anyBundle.group, pg.id);
    const outside = await lux.get(where.remote(), { timeoutMs: GET_MS });
    assert.deepEqual(outside, { group: null, assigned: { CPU: 1 } });

    // The group holds 2 of the 3 CPUs: a task outside needing 2 waits until the group is gone.
    const big = where.options({ numCpus: 2 }).remote();
    const [early] = await lux.wait([big], { timeoutMs: 1500 });
    assert.equal(early.length, 0, "work outside the group cannot use its reservation");
    // Two held tasks fill the group's two bundles; a third one in the group waits for room in it.
    const gate = await Gate.open();
    try {
      const inGroup = held.options({ schedulingStrategy: { placementGroup: pg } });
      const running = [inGroup.remote(gate.port), inGroup.remote(gate.port)];
      const queued = inGroup.options({ maxRetries: 0 }).remote(gate.port);
      const actor = MemberActor.options({ schedulingStrategy: { placementGroup: pg, bundleIndex: 0 } }).remote();
      assert.equal((await lux.get(actor.where.remote(), { timeoutMs: GET_MS })).group, pg.id);
      await gate.waitArrived(2);
      const [late] = await lux.wait([queued], { timeoutMs: 500 });
      assert.equal(late.length, 0, "a third task in a full group waits");
      assert.equal(gate.arrived.length, 2);

      await lux.removePlacementGroup(pg);
      for (const ref of [...running, queued]) {
        await assert.rejects(lux.get(ref, { timeoutMs: GET_MS }), lux.PlacementGroupRemovedError);
      }
      await assert.rejects(lux.get(actor.where.remote(), { timeoutMs: GET_MS }), lux.ActorDiedError);
    } finally {
      await gate.close();
    }
    assert.equal((await lux.get(big, { timeoutMs: GET_MS })).group, null, "the reservation is free for others once removed");
    await assert.rejects(
      lux.get(where.options({ schedulingStrategy: { placementGroup: pg } }).remote(), { timeoutMs: GET_MS }),
      lux.PlacementGroupRemovedError,
      "new work in a removed group fails",
    );
  });

  it("an actor in a group reports it, and its resources as the plain names", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }]);
    const actor = MemberActor.options({ numCpus: 1, schedulingStrategy: { placementGroup: pg, bundleIndex: 0 } }).remote();
    const seen = await lux.get(actor.where.remote(), { timeoutMs: GET_MS });
    assert.deepEqual(seen, { group: pg.id, assigned: { CPU: 1 } });
    await lux.removePlacementGroup(pg);
  });

  it("captureChildTasks: children without a strategy of their own run in the group", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1 }]);
    const captured = await lux.get(parentTask.options({ schedulingStrategy: { placementGroup: pg, captureChildTasks: true } }).remote(), { timeoutMs: GET_MS });
    assert.deepEqual(captured, { inherited: pg.id, explicit: null, mine: pg.id });
    const notCaptured = await lux.get(parentTask.options({ schedulingStrategy: { placementGroup: pg } }).remote(), { timeoutMs: GET_MS });
    assert.deepEqual(notCaptured, { inherited: null, explicit: null, mine: pg.id });
    await lux.removePlacementGroup(pg);
  });

  it("bad placement-group strategies throw InvalidOptionError at the call site, naming the option", async () => {
    const pg = lux.placementGroup([{ CPU: 1 }, { CPU: 1, GPU: 1 }]);
    const invalid = (pattern: RegExp) => (e: unknown) => e instanceof lux.InvalidOptionError && pattern.test(e.message);
    assert.throws(
      () => where.options({ numCpus: 2, schedulingStrategy: { placementGroup: pg } }),
      invalid(/schedulingStrategy\.placementGroup.*\{"CPU":1\}.*\{"CPU":2\}/s),
      "a request that fits no bundle shows both",
    );
    assert.throws(() => where.options({ numGpus: 1, schedulingStrategy: { placementGroup: pg, bundleIndex: 0 } }), invalid(/bundle 0/));
    where.options({ numGpus: 1, schedulingStrategy: { placementGroup: pg, bundleIndex: 1 } }); // fits bundle 1
    assert.throws(() => where.options({ schedulingStrategy: { placementGroup: pg, bundleIndex: 2 } }), invalid(/schedulingStrategy\.bundleIndex/));
    assert.throws(() => where.options({ schedulingStrategy: { placementGroup: pg, bundleIndex: -2 } }), invalid(/schedulingStrategy\.bundleIndex/));
    assert.throws(
      () => where.options({ schedulingStrategy: { bundleIndex: 0 } as unknown as lux.SchedulingStrategy }),
      invalid(/schedulingStrategy\.bundleIndex/),
      "a bundleIndex without a group",
    );
    assert.throws(
      () => MemberActor.options({ numCpus: 3, schedulingStrategy: { placementGroup: pg } }),
      invalid(/schedulingStrategy\.placementGroup/),
      "actors too",
    );
    assert.throws(
      () => where.options({ schedulingStrategy: { placementGroup: pg, captureChildTasks: "yes" as unknown as boolean } }),
      invalid(/captureChildTasks/),
    );
    assert.throws(
      () => where.options({ schedulingStrategy: { placementGroup: { id: "pg-x" } as unknown as lux.PlacementGroup } }),
      invalid(/schedulingStrategy\.placementGroup/),
    );
    await lux.removePlacementGroup(pg);
  });
});
