/**
 * lux.util.collective's algorithms and failure handling, on groups joined in memory (a fake
 * clock, messages of a few bytes so arrays move in many chunks): every operation against a
 * locally computed result on several layouts of ranks over nodes, identical bits on every rank,
 * disagreements rejecting on every rank, a lost rank, a rank that never calls, no message left.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CollectiveError } from "@lux/core";
import { memoryGroups, unreleasedOf, type MemoryGroups } from "./collective-memory-network.js";
import { REDUCE_OPS, type CollectiveArray, type ReduceOp } from "../src/collective/typed-arrays.js";

/** Layouts: rank r on node layout[r]. */
const LAYOUTS: Record<string, string[]> = {
  "one rank": ["a"],
  "one node of four": ["a", "a", "a", "a"],
  "two nodes of two": ["a", "a", "b", "b"],
  "two nodes, interleaved": ["a", "b", "a", "b"],
  "three ranks and one": ["a", "a", "a", "b"],
  "one rank per node": ["a", "b", "c"],
  "uneven, five ranks": ["a", "b", "b", "c", "c"],
};

/** Small integers (exact in every type), deterministic per seed. */
function values(seed: number, n: number, op: ReduceOp): number[] {
  let x = seed * 7919 + 17;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return op === "PRODUCT" ? (x % 3) + 1 : (x % 201) - 100;
  });
}

function expected(inputs: number[][], op: ReduceOp): number[] {
  const combine = { SUM: (a: number, b: number) => a + b, PRODUCT: (a: number, b: number) => a * b, MIN: Math.min, MAX: Math.max }[op];
  return (inputs[0] as number[]).map((_, i) => inputs.map((v) => v[i] as number).reduce((a, b) => combine(a, b)));
}

async function settle(g: MemoryGroups): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(unreleasedOf(g), 0, "every message delivered was released");
  for (const group of g.groups) assert.equal(group.mailbox.size, 0, "no message left in a mailbox");
}

async function rejectsCollective(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  let message = "";
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CollectiveError, `a CollectiveError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    message = (e as Error).message.replace(/^.*? failed: /, "");
    return true;
  });
  return message;
}

describe("collective algorithms", () => {
  for (const [layout, nodes] of Object.entries(LAYOUTS)) {
    it(`allreduce, every op and length: ${layout}`, async () => {
      for (const op of REDUCE_OPS) {
        for (const n of [0, 1, 5, 301]) {
          const g = memoryGroups(nodes);
          const inputs = nodes.map((_, r) => values(r + n, n, op));
          const arrays = inputs.map((v) => Float64Array.from(v));
          await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as Float64Array, op, 1000)));
          for (const a of arrays) assert.deepEqual([...a], expected(inputs, op), `${op} of ${n} elements`);
          await settle(g);
        }
      }
    });

    it(`reduce to each rank; broadcast from each rank; allgather: ${layout}`, async () => {
      const n = 37;
      for (let root = 0; root < nodes.length; root++) {
        const g = memoryGroups(nodes);
        const inputs = nodes.map((_, r) => values(r, n, "SUM"));
        const arrays = inputs.map((v) => Int32Array.from(v));
        await Promise.all(g.groups.map((group, r) => group.reduce(arrays[r] as Int32Array, "MAX", root, 1000)));
        arrays.forEach((a, r) => assert.deepEqual([...a], r === root ? expected(inputs, "MAX") : inputs[r], `reduce to ${root}, rank ${r}`));
        const sent = arrays.map((_, r) => (r === root ? Int32Array.from(inputs[root] as number[]) : new Int32Array(n)));
        await Promise.all(g.groups.map((group, r) => group.broadcast(sent[r] as Int32Array, root, 1000)));
        for (const a of sent) assert.deepEqual([...a], inputs[root]);
        await settle(g);
      }
      const g = memoryGroups(nodes);
      const inputs = nodes.map((_, r) => Float32Array.from(values(r, n, "SUM")));
      const outs = nodes.map(() => nodes.map(() => new Float32Array(n)));
      await Promise.all(g.groups.map((group, r) => group.allgather(outs[r] as Float32Array[], inputs[r] as Float32Array, 1000)));
      for (const out of outs) out.forEach((a, r) => assert.deepEqual(a, inputs[r]));
      await settle(g);
    });
  }

  it("allreduce on every typed array, bigints included; every rank gets the same bits of a float sum", async () => {
    const nodes = LAYOUTS["two nodes of two"] as string[];
    const ctors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];
    for (const Ctor of ctors) {
      const g = memoryGroups(nodes);
      const arrays = nodes.map((_, r) => Ctor.from([r, 2 * r, 3]));
      await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as CollectiveArray, "SUM", 1000)));
      for (const a of arrays) assert.deepEqual([...a], [6, 12, 12], Ctor.name);
    }
    const g = memoryGroups(nodes);
    const big = nodes.map((_, r) => BigInt64Array.from([BigInt(r), -5n, 2n ** 40n]));
    await Promise.all(g.groups.map((group, r) => group.allreduce(big[r] as BigInt64Array, "MIN", 1000)));
    for (const a of big) assert.deepEqual([...a], [0n, -5n, 2n ** 40n]);
    const floats = nodes.map((_, r) => Float32Array.from({ length: 100 }, (_, i) => Math.sin(r * 100 + i) / 3));
    await Promise.all(g.groups.map((group, r) => group.allreduce(floats[r] as Float32Array, "SUM", 1000)));
    for (const a of floats) assert.deepEqual(a, floats[0], "the same bits on every rank");
    await settle(g);
  });

  it("NaNs of different bits on each rank, signed zeros: every op gives every rank the same bits, on every layout", async () => {
    for (const [layout, nodes] of Object.entries(LAYOUTS)) {
      for (const op of REDUCE_OPS) {
        for (const Ctor of [Float32Array, Float64Array] as const) {
          const g = memoryGroups(nodes);
          const arrays = nodes.map((_, r) => {
            const a = new Ctor(301);
            for (let i = 0; i < a.length; i++) a[i] = i % 7 === 0 ? -0 : i % 5 === 0 ? 0 : Math.cos(r * 31 + i) * 10 ** ((i % 9) - 4);
            // A NaN of its own bits on each rank (a payload and a sign of the rank's), in some places.
            const bits = new Uint32Array(a.buffer);
            const single = a instanceof Float32Array;
            for (let i = 3; i < a.length; i += 11) {
              // A quiet NaN's (high) word: 0x7fc00000 in a float32, 0x7ff80000 in a float64's high half.
              bits[single ? i : 2 * i + 1] = (single ? 0x7fc00000 : 0x7ff80000) + (r % 2 === 0 ? 0 : 0x80000000) + r + 1;
            }
            return a;
          });
          await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as CollectiveArray, op, 1000)));
          const first = new Uint8Array((arrays[0] as CollectiveArray).buffer);
          for (const [r, a] of arrays.entries()) assert.deepEqual(new Uint8Array(a.buffer), first, `${layout}, ${op} of ${Ctor.name}: rank ${r}'s bits`);
          assert.ok(Number.isNaN((arrays[0] as CollectiveArray)[3]), `${layout}, ${op} of ${Ctor.name}: NaN stays NaN, got ${String((arrays[0] as CollectiveArray)[3])}`);
          await settle(g);
        }
      }
    }
  });

  it("barrier: nobody passes until every rank has come", async () => {
    const g = memoryGroups(["a", "a", "b"]);
    let passed = 0;
    const first = g.groups.slice(0, 2).map((group) => group.barrier(1000).then(() => passed++));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(passed, 0);
    await Promise.all([...first, (g.groups[2] as (typeof g.groups)[number]).barrier(1000)]);
    assert.equal(passed, 2);
    await settle(g);
  });

  it("send and recv, both ways and in sequence; a mismatch rejects both, and the pair goes on", async () => {
    const g = memoryGroups(["a", "b"]);
    const [a, b] = g.groups as [(typeof g.groups)[number], (typeof g.groups)[number]];
    const x = Float64Array.from({ length: 50 }, (_, i) => i);
    const y = new Float64Array(50);
    const back = new Float64Array(50);
    await Promise.all([a.send(x, 1, 1000), b.recv(y, 0, 1000), a.recv(back, 1, 1000), b.send(Float64Array.from(x, (v) => -v), 0, 1000)]);
    assert.deepEqual(y, x);
    assert.deepEqual([...back], [...x].map((v) => -v));
    const [m1, m2] = await Promise.all([
      rejectsCollective(a.send(new Float64Array(3), 1, 1000), /the ranks disagree: the sender called send\(Float64Array\[3\]\), the receiver recv\(Float32Array\[3\]\)/),
      rejectsCollective(b.recv(new Float32Array(3), 0, 1000), /the ranks disagree/),
    ]);
    assert.equal(m1, m2, "the same reason on both sides");
    await Promise.all([a.send(x, 1, 1000), b.recv(y, 0, 1000)]);
    assert.deepEqual(y, x);
    await settle(g);
  });
});

describe("collective failures", () => {
  it("ranks that disagree on the length, type, op or root all reject with the same CollectiveError; later calls work", async () => {
    const g = memoryGroups(["a", "a", "b", "b"]);
    const calls: [string, (r: number) => Promise<void>][] = [
      ["length", (r) => (g.groups[r] as (typeof g.groups)[number]).allreduce(new Float32Array(r === 2 ? 9 : 10), "SUM", 1000)],
      ["type", (r) => (g.groups[r] as (typeof g.groups)[number]).allreduce(r === 1 ? new Float64Array(10) : new Float32Array(10), "SUM", 1000)],
      ["op", (r) => (g.groups[r] as (typeof g.groups)[number]).allreduce(new Int32Array(4), r === 3 ? "MAX" : "SUM", 1000)],
      ["root", (r) => (g.groups[r] as (typeof g.groups)[number]).broadcast(new Int32Array(4), r === 0 ? 1 : 0, 1000)],
      ["operation", (r) => (r === 0 ? (g.groups[r] as (typeof g.groups)[number]).barrier(1000) : (g.groups[r] as (typeof g.groups)[number]).allreduce(new Int32Array(4), "SUM", 1000))],
    ];
    for (const [what, call] of calls) {
      const messages = await Promise.all(g.groups.map((_, r) => rejectsCollective(call(r), /the ranks disagree: /)));
      assert.equal(new Set(messages).size, 1, `${what}: one message on every rank: ${messages.join(" | ")}`);
    }
    const length = await Promise.all(g.groups.map((_, r) => rejectsCollective((calls[0] as [string, (r: number) => Promise<void>])[1](r), /./)));
    assert.match(length[0] as string, /ranks 0, 1, 3 called allreduce\(Float32Array\[10\], op SUM\); rank 2 called allreduce\(Float32Array\[9\], op SUM\)/);
    const arrays = g.groups.map(() => Int32Array.from([1, 2]));
    await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as Int32Array, "SUM", 1000)));
    for (const a of arrays) assert.deepEqual([...a], [4, 8]);
    await settle(g);
  });

  it("a rank lost in the middle of an allreduce: the others reject with CollectiveError naming it", async () => {
    const g = memoryGroups(["a", "a", "b", "b"], { chunkBytes: 8 });
    const arrays = g.groups.map(() => new Float64Array(1000));
    const running = g.groups.slice(0, 3).map((group, r) => rejectsCollective(group.allreduce(arrays[r] as Float64Array, "SUM", 60_000), /rank 3 left the group: its connection closed|rank \d gave up/));
    await new Promise((r) => setImmediate(r));
    g.kill(3);
    await Promise.all(running);
    // Later calls fail at once, without waiting for their deadline.
    await rejectsCollective((g.groups[0] as (typeof g.groups)[number]).barrier(60_000), /rank 3 left the group/);
    await settle(g);
  });

  it("a rank that never calls: the others reject at their timeoutMs, naming the rank they wait for", async () => {
    const g = memoryGroups(["a", "b", "c"]);
    const waiting = g.groups.slice(0, 2).map((group) => rejectsCollective(group.allreduce(new Int32Array(3), "SUM", 5000), /did not complete within timeoutMs 5000 ms \(waiting for rank 2\)|rank \d gave up/));
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    g.clock.advance(4999);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    let done = 0;
    void Promise.all(waiting).then(() => done++);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, 0, "still waiting before the deadline");
    g.clock.advance(1);
    await Promise.all(waiting);
    // The latecomer hears the others gave up as soon as it calls.
    await rejectsCollective((g.groups[2] as (typeof g.groups)[number]).allreduce(new Int32Array(3), "SUM", 5000), /rank \d gave up: rank \d: .*did not complete/);
    await settle(g);
  });

  it("a call refused on one rank (a bad argument) fails the others' at once; the next calls still match", async () => {
    const g = memoryGroups(["a", "b"]);
    const [a, b] = g.groups as [(typeof g.groups)[number], (typeof g.groups)[number]];
    const other = rejectsCollective(b.allreduce(new Int32Array(2), "SUM", 60_000), /rank 0 gave up: rank 0 refused the call: TypeError: bad/);
    assert.throws(() => a.refuse("allreduce", new TypeError("bad")), TypeError);
    await other;
    const arrays = [Int32Array.from([1]), Int32Array.from([2])];
    await Promise.all([a.allreduce(arrays[0] as Int32Array, "SUM", 1000), b.allreduce(arrays[1] as Int32Array, "SUM", 1000)]);
    assert.deepEqual(arrays.map((x) => x[0]), [3, 3]);
    await settle(g);
  });

  it("destroy fails the operations running in this process", async () => {
    const g = memoryGroups(["a", "b"]);
    const pending = rejectsCollective((g.groups[0] as (typeof g.groups)[number]).barrier(60_000), /the group was destroyed in this process/);
    await (g.groups[0] as (typeof g.groups)[number]).destroy();
    await pending;
  });
});
