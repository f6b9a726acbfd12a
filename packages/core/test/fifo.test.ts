/**
 * Fifo, the queue of tasks and actor calls: order kept through every operation, and
 * draining stays linear (counted in elements moved, not timed).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Fifo } from "../src/fifo.js";

const filled = (n: number): Fifo<number> => {
  const q = new Fifo<number>();
  for (let i = 0; i < n; i++) q.push(i);
  return q;
};

describe("Fifo", () => {
  test("shifts in push order, then undefined; peek sees the front", () => {
    const q = filled(3);
    assert.equal(q.length, 3);
    assert.equal(q.peek(), 0);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [0, 1, 2, undefined]);
    assert.equal(q.length, 0);
    assert.equal(q.peek(), undefined);
  });

  test("findIndex, insert and removeAt count from the front, also after shifts", () => {
    const q = filled(5000);
    for (let i = 0; i < 3000; i++) q.shift(); // past the compaction threshold
    assert.equal(q.findIndex((x) => x === 3002), 2);
    q.removeAt(2);
    q.insert(1, -1);
    assert.equal(q.findIndex((x) => x === 4999), 1999);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [3000, -1, 3001, 3003]);
    q.insert(q.length, 7);
    assert.deepEqual(q.drain().slice(-2), [4999, 7]);
    assert.equal(q.length, 0);
  });

  test("draining n elements moves at most n: linear, not the O(n²) of a large array's shift", () => {
    const n = 200_000;
    const q = filled(n);
    let expected = 0;
    for (let x = q.shift(); x !== undefined; x = q.shift()) assert.equal(x, expected++);
    assert.equal(expected, n);
    assert.ok(q.moved <= n, `${q.moved} moves for ${n} shifts`);
  });

  test("a long queue fed and drained at once moves at most one element per element pushed", () => {
    const q = filled(50_000);
    let pushed = 50_000;
    for (let round = 0; round < 200_000; round++) {
      q.push(pushed++);
      q.shift();
    }
    assert.equal(q.length, 50_000);
    assert.equal(q.peek(), 200_000);
    assert.ok(q.moved <= pushed, `${q.moved} moves for ${pushed} pushes`);
  });
});
