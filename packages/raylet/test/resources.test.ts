import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ResourcePool, type Allocation } from "../src/resources.js";

describe("ResourcePool", () => {
  test("feasible compares with totals, fits with what is free", () => {
    const pool = new ResourcePool({ CPU: 2, memory: 1000 });
    assert.equal(pool.feasible({ CPU: 2 }), true);
    assert.equal(pool.feasible({ CPU: 3 }), false);
    assert.equal(pool.feasible({ GPU: 1 }), false, "a resource the node lacks");
    assert.equal(pool.feasible({ GPU: 0, CPU: 1 }), true, "zero quantities are ignored");
    assert.equal(pool.feasible({}), true);

    pool.acquire({ CPU: 2 });
    assert.equal(pool.fits({ CPU: 1 }), false);
    assert.equal(pool.feasible({ CPU: 1 }), true, "busy is not infeasible");
    assert.equal(pool.fits({ memory: 1000 }), true);
    assert.equal(pool.fits({ CPU: 0 }), true);
  });

  test("ten 0.1 CPU acquisitions fill exactly one CPU, and release restores it", () => {
    const pool = new ResourcePool({ CPU: 1 });
    const allocations: Allocation[] = [];
    for (let i = 0; i < 10; i++) {
      assert.equal(pool.fits({ CPU: 0.1 }), true, `acquisition ${i}`);
      allocations.push(pool.acquire({ CPU: 0.1 }));
    }
    assert.equal(pool.fits({ CPU: 0.1 }), false);
    assert.equal(pool.view().available["CPU"], 0);
    for (const a of allocations) pool.release(a);
    assert.deepEqual(pool.view(), { total: { CPU: 1 }, available: { CPU: 1 } });
  });

  test("fractions that do not add up exactly in floating point still do here", () => {
    // 0.1 + 0.2 !== 0.3 in doubles; the pool counts in 1/10000 units.
    const pool = new ResourcePool({ CPU: 0.3 });
    pool.acquire({ CPU: 0.1 });
    assert.equal(pool.fits({ CPU: 0.2 }), true);
    pool.acquire({ CPU: 0.2 });
    assert.equal(pool.view().available["CPU"], 0);
    const third = new ResourcePool({ CPU: 1 });
    for (let i = 0; i < 3; i++) third.acquire({ CPU: 1 / 3 });
    assert.equal(third.fits({ CPU: 0.0001 }), true, "1/3 rounds to 3333 units, leaving one");
    assert.equal(third.fits({ CPU: 0.0002 }), false);
  });

  test("whole GPUs get distinct device ids, returned on release and reused lowest first", () => {
    const pool = new ResourcePool({ CPU: 4, GPU: 4 });
    const a = pool.acquire({ GPU: 1 });
    const b = pool.acquire({ GPU: 2 });
    assert.deepEqual(a.gpuIds, [0]);
    assert.deepEqual(b.gpuIds, [1, 2]);
    const c = pool.acquire({ GPU: 1 });
    assert.deepEqual(c.gpuIds, [3]);
    assert.equal(pool.fits({ GPU: 1 }), false);

    pool.release(b);
    pool.release(a);
    const d = pool.acquire({ GPU: 3 });
    assert.deepEqual(d.gpuIds, [0, 1, 2]);
    const all = [...c.gpuIds, ...d.gpuIds].sort((x, y) => x - y);
    assert.deepEqual(all, [0, 1, 2, 3]);
  });

  test("a request without GPUs gets no device ids", () => {
    const pool = new ResourcePool({ CPU: 1, GPU: 1 });
    assert.deepEqual(pool.acquire({ CPU: 1 }).gpuIds, []);
  });

  test("fractional GPUs share a device and return their share on release", () => {
    const pool = new ResourcePool({ GPU: 1 });
    const a = pool.acquire({ GPU: 0.5 });
    const b = pool.acquire({ GPU: 0.5 });
    assert.deepEqual(a.gpuIds, [0]);
    assert.deepEqual(b.gpuIds, [0]);
    assert.equal(pool.fits({ GPU: 0.1 }), false);
    pool.release(a);
    pool.release(b);
    assert.equal(pool.fits({ GPU: 1 }), true);
    assert.deepEqual(pool.acquire({ GPU: 1 }).gpuIds, [0]);
  });

  test("adjustCpu gives a blocked worker's CPU back and takes it again", () => {
    const pool = new ResourcePool({ CPU: 2, GPU: 1 });
    const a = pool.acquire({ CPU: 1.5, GPU: 1 });
    assert.equal(pool.fits({ CPU: 1 }), false);
    pool.adjustCpu(a, true); // blocked in get()
    assert.deepEqual(pool.view().available, { CPU: 2, GPU: 0 }, "only the CPU comes back");
    const other = pool.acquire({ CPU: 1 });
    pool.adjustCpu(a, false); // unblocked: may overcommit
    assert.equal(pool.fits({ CPU: 0.1 }), false);
    assert.equal(pool.view().available["CPU"], 0, "view clamps an overcommit at 0");
    pool.release(other);
    assert.equal(pool.view().available["CPU"], 0.5);
    pool.release(a);
    assert.deepEqual(pool.view().available, { CPU: 2, GPU: 1 });
  });

  test("adjustCpu ignores allocations without CPU", () => {
    const pool = new ResourcePool({ CPU: 1, GPU: 1 });
    let changes = 0;
    pool.onChange = () => changes++;
    const a = pool.acquire({ GPU: 1 });
    pool.adjustCpu(a, true);
    assert.deepEqual(pool.view().available, { CPU: 1, GPU: 0 });
    assert.equal(changes, 1);
  });

  test("onChange runs after acquire, release and adjustCpu", () => {
    const pool = new ResourcePool({ CPU: 1 });
    const seen: (number | undefined)[] = [];
    pool.onChange = () => seen.push(pool.view().available["CPU"]);
    const a = pool.acquire({ CPU: 1 });
    pool.adjustCpu(a, true);
    pool.adjustCpu(a, false);
    pool.release(a);
    assert.deepEqual(seen, [0, 1, 0, 1]);
  });

  test("view reports totals and availability for every declared resource only", () => {
    const pool = new ResourcePool({ CPU: 4, GPU: 2, memory: 2.5e9, custom: 0.5 });
    pool.acquire({ CPU: 1.25, memory: 1e9, custom: 0.25 });
    assert.deepEqual(pool.view(), {
      total: { CPU: 4, GPU: 2, memory: 2.5e9, custom: 0.5 },
      available: { CPU: 2.75, GPU: 2, memory: 1.5e9, custom: 0.25 },
    });
    // A forced acquisition of an undeclared resource does not appear in the view.
    pool.acquire({ other: 1 });
    assert.deepEqual(Object.keys(pool.view().available).sort(), ["CPU", "GPU", "custom", "memory"]);
  });
});

describe("GPU devices are never shared beyond their capacity", () => {
  test("a whole GPU never lands on a device a fraction uses", () => {
    const pool = new ResourcePool({ GPU: 2 });
    const half = pool.acquire({ GPU: 0.5 });
    assert.deepEqual(half.gpuIds, [0]);
    const whole = pool.acquire({ GPU: 1 });
    assert.deepEqual(whole.gpuIds, [1]);
    assert.equal(pool.fits({ GPU: 1 }), false, "no entirely free device is left");
    assert.equal(pool.fits({ GPU: 0.5 }), true, "device 0 has half a GPU left");
    const otherHalf = pool.acquire({ GPU: 0.5 });
    assert.deepEqual(otherHalf.gpuIds, [0]);
    assert.equal(pool.fits({ GPU: 0.25 }), false);
    pool.release(half);
    pool.release(otherHalf);
    assert.equal(pool.fits({ GPU: 1 }), true);
    assert.deepEqual(pool.acquire({ GPU: 1 }).gpuIds, [0]);
  });

  test("fractions pack onto the busiest device that fits, keeping whole devices free", () => {
    const pool = new ResourcePool({ GPU: 2 });
    assert.deepEqual(pool.acquire({ GPU: 0.3 }).gpuIds, [0]);
    assert.deepEqual(pool.acquire({ GPU: 0.3 }).gpuIds, [0]);
    assert.deepEqual(pool.acquire({ GPU: 0.5 }).gpuIds, [1]);
    assert.deepEqual(pool.acquire({ GPU: 0.4 }).gpuIds, [0]);
  });

  test("the node's device ids (found by nvidia-smi, kept to CUDA_VISIBLE_DEVICES) are the ids handed out", () => {
    const pool = new ResourcePool({ GPU: 2 }, [3, 1]);
    const a = pool.acquire({ GPU: 1 });
    const b = pool.acquire({ GPU: 1 });
    assert.deepEqual([a.gpuIds, b.gpuIds], [[3], [1]], "two whole GPUs get different devices, in the node's order");
    assert.equal(pool.fits({ GPU: 0.5 }), false);
    pool.release(a);
    const half = pool.acquire({ GPU: 0.5 });
    const otherHalf = pool.acquire({ GPU: 0.5 });
    assert.deepEqual([half.gpuIds, otherHalf.gpuIds], [[3], [3]], "fractions share one device");
    pool.release(half);
    pool.release(otherHalf);
    pool.release(b);
    assert.deepEqual(pool.acquire({ GPU: 2 }).gpuIds, [3, 1]);
  });
});
