/**
 * A raylet's part of placement groups: all of a group's bundles for the node are taken
 * together or not at all, held once committed, and freed by release, prepared or committed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { BundleReservations } from "../src/bundle-reservations.js";
import { ResourcePool } from "../src/resources.js";

const bundles = (...sets: Record<string, number>[]) => sets.map((resources, index) => ({ index, resources }));

describe("BundleReservations", () => {
  test("prepare takes every bundle when they fit together; they count as used until released", () => {
    const pool = new ResourcePool({ CPU: 4, GPU: 2 });
    const r = new BundleReservations(pool, new FakeClock(), 60_000);
    assert.equal(r.prepare("pg1", bundles({ CPU: 2, GPU: 1 }, { CPU: 1, GPU: 1 })), true);
    assert.equal(r.state("pg1"), "prepared");
    assert.deepEqual(pool.view().available, { CPU: 1, GPU: 0 });
    assert.notDeepEqual(r.gpuIds("pg1", 0), r.gpuIds("pg1", 1), "two whole-GPU bundles get different devices");
    assert.equal(r.gpuIds("pg1", 0).length, 1);
    assert.deepEqual(r.gpuIds("pg1", -1), r.gpuIds("pg1", 0), "any bundle: the first one's devices");
    assert.equal(r.commit("pg1"), true);
    assert.equal(r.state("pg1"), "committed");
    r.release("pg1");
    assert.equal(r.state("pg1"), undefined);
    assert.deepEqual(pool.view().available, { CPU: 4, GPU: 2 });
  });

  test("a group whose bundles do not all fit takes nothing", () => {
    const pool = new ResourcePool({ CPU: 3 });
    const r = new BundleReservations(pool, new FakeClock(), 60_000);
    assert.equal(r.prepare("pg1", bundles({ CPU: 2 }, { CPU: 2 })), false);
    assert.deepEqual(pool.view().available, { CPU: 3 });
    assert.equal(r.state("pg1"), undefined);
    assert.equal(r.commit("pg1"), false, "nothing to commit");
  });

  test("a second prepare of the same group keeps what it holds; release of a prepared group frees it; release is idempotent", () => {
    const pool = new ResourcePool({ CPU: 2 });
    const r = new BundleReservations(pool, new FakeClock(), 60_000);
    assert.equal(r.prepare("pg1", bundles({ CPU: 1 })), true);
    assert.equal(r.prepare("pg1", bundles({ CPU: 1 })), true);
    assert.deepEqual(pool.view().available, { CPU: 1 });
    assert.equal(r.prepare("pg2", bundles({ CPU: 2 })), false, "pg1 holds one of the two CPUs");
    r.release("pg1");
    r.release("pg1");
    assert.deepEqual(pool.view().available, { CPU: 2 });
  });

  test("commit adds the bundles' named resources, which work in the group takes; release takes them away", () => {
    const pool = new ResourcePool({ CPU: 4 });
    const r = new BundleReservations(pool, new FakeClock(), 60_000);
    r.prepare("pg-1", bundles({ CPU: 1 }, { CPU: 2 }));
    assert.deepEqual(pool.view().total, { CPU: 4 }, "nothing named before the commit");
    r.commit("pg-1");
    const { total, available } = pool.view();
    assert.equal(total["CPU_group_0_pg-1"], 1);
    assert.equal(total["CPU_group_1_pg-1"], 2);
    assert.equal(total["CPU_group_pg-1"], 3, "any bundle: the sum on this node");
    assert.equal(available["CPU"], 1);
    const work = { "CPU_group_1_pg-1": 2, "CPU_group_pg-1": 2, "bundle_group_1_pg-1": 0.001, "bundle_group_pg-1": 0.001 };
    assert.equal(pool.fits(work), true);
    const held = pool.acquire(work);
    assert.equal(pool.fits(work), false, "bundle 1 is full");
    r.release("pg-1");
    pool.release(held); // the work ends after its group: nothing named comes back
    assert.deepEqual(pool.view(), { total: { CPU: 4 }, available: { CPU: 4 } });
  });

  test("prepared bundles whose commit never comes are returned after the timeout", () => {
    const clock = new FakeClock();
    const pool = new ResourcePool({ CPU: 2 });
    const r = new BundleReservations(pool, clock, 1000);
    r.prepare("pg-a", bundles({ CPU: 1 }));
    r.prepare("pg-b", bundles({ CPU: 1 }));
    r.commit("pg-b");
    clock.advance(999);
    assert.equal(r.state("pg-a"), "prepared");
    clock.advance(1);
    assert.equal(r.state("pg-a"), undefined, "returned");
    assert.equal(r.state("pg-b"), "committed", "a committed group stays");
    assert.equal(pool.view().available["CPU"], 1);
  });

  test("bundles added to a group already here (rescheduled) are prepared on their own; release by index frees just those", () => {
    const pool = new ResourcePool({ CPU: 3 });
    const r = new BundleReservations(pool, new FakeClock(), 60_000);
    r.prepare("pg-1", bundles({ CPU: 1 }));
    r.commit("pg-1");
    assert.equal(r.prepare("pg-1", [{ index: 1, resources: { CPU: 1 } }]), true);
    assert.equal(r.state("pg-1"), "prepared", "bundle 1 waits for its commit");
    assert.equal(pool.view().available["CPU"], 1);
    r.release("pg-1", [1]); // the reservation of bundle 1 failed elsewhere
    assert.equal(r.state("pg-1"), "committed", "bundle 0 stays");
    assert.equal(pool.view().available["CPU"], 2);
    assert.equal(pool.view().total["CPU_group_0_pg-1"], 1);
  });
});
