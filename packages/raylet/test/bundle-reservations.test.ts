/**
 * A raylet's part of placement groups: all of a group's bundles for the node are taken
 * together or not at all, held once committed, and freed by release, prepared or committed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BundleReservations } from "../src/bundle-reservations.js";
import { ResourcePool } from "../src/resources.js";

const bundles = (...sets: Record<string, number>[]) => sets.map((resources, index) => ({ index, resources }));

describe("BundleReservations", () => {
  test("prepare takes every bundle when they fit together; they count as used until released", () => {
    const pool = new ResourcePool({ CPU: 4, GPU: 2 });
    const r = new BundleReservations(pool);
    assert.equal(r.prepare("pg1", bundles({ CPU: 2, GPU: 1 }, { CPU: 1, GPU: 1 })), true);
    assert.equal(r.state("pg1"), "prepared");
    assert.deepEqual(pool.view().available, { CPU: 1, GPU: 0 });
    assert.notDeepEqual(r.bundle("pg1", 0)?.gpuIds, r.bundle("pg1", 1)?.gpuIds, "two whole-GPU bundles get different devices");
    assert.equal(r.commit("pg1"), true);
    assert.equal(r.state("pg1"), "committed");
    r.release("pg1");
    assert.equal(r.state("pg1"), undefined);
    assert.deepEqual(pool.view().available, { CPU: 4, GPU: 2 });
  });

  test("a group whose bundles do not all fit takes nothing", () => {
    const pool = new ResourcePool({ CPU: 3 });
    const r = new BundleReservations(pool);
    assert.equal(r.prepare("pg1", bundles({ CPU: 2 }, { CPU: 2 })), false);
    assert.deepEqual(pool.view().available, { CPU: 3 });
    assert.equal(r.state("pg1"), undefined);
    assert.equal(r.commit("pg1"), false, "nothing to commit");
  });

  test("a second prepare of the same group keeps what it holds; release of a prepared group frees it; release is idempotent", () => {
    const pool = new ResourcePool({ CPU: 2 });
    const r = new BundleReservations(pool);
    assert.equal(r.prepare("pg1", bundles({ CPU: 1 })), true);
    assert.equal(r.prepare("pg1", bundles({ CPU: 1 })), true);
    assert.deepEqual(pool.view().available, { CPU: 1 });
    assert.equal(r.prepare("pg2", bundles({ CPU: 2 })), false, "pg1 holds one of the two CPUs");
    r.release("pg1");
    r.release("pg1");
    assert.deepEqual(pool.view().available, { CPU: 2 });
  });
});
