/**
 * Allreduce between ranks of one node that read each other's arrays in place (direct-read.ts),
 * on groups joined in memory: the "ranks" are one process, and read its memory through the
 * kernel (process_vm_readv) as they would another's. Results against a locally computed one
 * and against the message path, bit for bit; disagreements and lost ranks as on that path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CollectiveError } from "@lux/core";
import { memoryGroups, unreleasedOf, type MemoryGroups } from "./collective-memory-network.js";
import { directProbe } from "../src/collective/direct-read.js";
import { REDUCE_OPS, type CollectiveArray, type ReduceOp } from "../src/collective/typed-arrays.js";

const available = directProbe() !== undefined;

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

/** Allreduces copies of `inputs` on a fresh group of `nodes`, direct or not; the arrays after, and the bytes messages carried. */
async function run(nodes: string[], inputs: readonly CollectiveArray[], op: ReduceOp, direct: boolean | ((reader: number, owner: number) => boolean)): Promise<{ arrays: CollectiveArray[]; sentBytes: number }> {
  const g = memoryGroups(nodes, { direct, chunkBytes: 256 });
  const arrays = inputs.map((a) => a.slice() as CollectiveArray);
  await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as CollectiveArray, op, 1000)));
  await settle(g);
  return { arrays, sentBytes: g.sentBytes };
}

describe("allreduce with direct reads between ranks of one node", { skip: available ? false : "the object store's addon did not build" }, () => {
  for (const ranks of [2, 3, 4]) {
    it(`${ranks} ranks: every op and length against the expected values, and no array in messages`, async () => {
      const nodes = Array.from({ length: ranks }, () => "a");
      for (const op of REDUCE_OPS) {
        for (const n of [0, 1, 5, 3001]) {
          const inputs = nodes.map((_, r) => Float64Array.from(values(r + n, n, op)));
          const { arrays, sentBytes } = await run(nodes, inputs, op, true);
          for (const a of arrays) assert.deepEqual([...a], expected(inputs.map((v) => [...v]), op), `${op} of ${n} elements`);
          if (n === 3001) assert.ok(sentBytes < (n * 8) / 4, `messages carried ${sentBytes} bytes for ${ranks} arrays of ${n * 8}`);
        }
      }
    });
  }

  it("every typed array and op (those the native kernels leave to JavaScript too): the bits of the message path", async () => {
    const ctors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
    const nodes = ["a", "a", "a"];
    for (const Ctor of ctors) {
      for (const op of REDUCE_OPS) {
        const inputs = nodes.map((_, r) => {
          const a = new Ctor(777);
          for (let i = 0; i < a.length; i++) {
            const v = op === "PRODUCT" ? (i % 5) + r : Math.sin(r * 1000 + i) * 1000;
            a[i] = (Ctor === BigInt64Array || Ctor === BigUint64Array ? BigInt(Math.trunc(Math.abs(v))) : v) as never;
          }
          return a as CollectiveArray;
        });
        const direct = await run(nodes, inputs, op, true);
        const plain = await run(nodes, inputs, op, false);
        for (const [r, a] of direct.arrays.entries()) {
          assert.deepEqual(new Uint8Array(a.buffer), new Uint8Array((plain.arrays[0] as CollectiveArray).buffer), `${Ctor.name} ${op}: rank ${r}`);
        }
        assert.ok(direct.sentBytes < plain.sentBytes, `${Ctor.name} ${op}: direct reads carried less in messages`);
      }
    }
  });

  it("some pairs read in place, one way or both, the others send messages: the bits of the message path", async () => {
    const nodes = ["a", "a", "a", "a"];
    const patterns: [string, (reader: number, owner: number) => boolean][] = [
      ["even ranks read the others", (reader) => reader % 2 === 0],
      ["only ranks 0 and 1 read each other", (reader, owner) => reader + owner === 1],
      ["every rank reads the rank after it", (reader, owner) => owner === (reader + 1) % 4],
    ];
    for (const [what, pattern] of patterns) {
      for (const Ctor of [Float32Array, Uint8ClampedArray] as const) {
        const inputs = nodes.map((_, r) => {
          const a = new Ctor(2049);
          for (let i = 0; i < a.length; i++) a[i] = Math.cos(i * (r + 1)) * 100;
          return a as CollectiveArray;
        });
        const direct = await run(nodes, inputs, "SUM", pattern);
        const plain = await run(nodes, inputs, "SUM", false);
        for (const [r, a] of direct.arrays.entries()) assert.deepEqual(new Uint8Array(a.buffer), new Uint8Array((plain.arrays[0] as CollectiveArray).buffer), `${what}, ${Ctor.name}: rank ${r}`);
        assert.ok(direct.sentBytes < plain.sentBytes, `${what}: less went in messages`);
      }
    }
  });

  it("NaNs of different bits on each rank, signed zeros: every rank gets the same bits", async () => {
    const nodes = ["a", "a"];
    for (const op of REDUCE_OPS) {
      for (const Ctor of [Float32Array, Float64Array] as const) {
        const inputs = nodes.map((_, r) => {
          const a = new Ctor(1001);
          for (let i = 0; i < a.length; i++) a[i] = i % 7 === 0 ? -0 : i % 5 === 0 ? 0 : Math.cos(r * 31 + i) * 10 ** ((i % 9) - 4);
          const bits = new Uint32Array(a.buffer);
          const single = a instanceof Float32Array;
          for (let i = 3; i < a.length; i += 11) bits[single ? i : 2 * i + 1] = (single ? 0x7fc00000 : 0x7ff80000) + (r % 2 === 0 ? 0 : 0x80000000) + r + 1;
          return a;
        });
        const direct = await run(nodes, inputs, op, true);
        const plain = await run(nodes, inputs, op, false);
        const first = new Uint8Array((direct.arrays[0] as CollectiveArray).buffer);
        for (const [r, a] of direct.arrays.entries()) assert.deepEqual(new Uint8Array(a.buffer), first, `${op} of ${Ctor.name}: rank ${r}'s bits`);
        assert.deepEqual(first, new Uint8Array((plain.arrays[0] as CollectiveArray).buffer), `${op} of ${Ctor.name}: the message path's bits`);
        assert.ok(Number.isNaN((direct.arrays[0] as CollectiveArray)[3]));
      }
    }
  });

  it("ranks that disagree on the length or type all reject with the same CollectiveError, no array changed; later calls work", async () => {
    const g = memoryGroups(["a", "a", "a"], { direct: true, chunkBytes: 256 });
    for (const make of [(r: number) => new Float32Array(r === 2 ? 900 : 1000).fill(r + 1), (r: number) => (r === 1 ? new Float64Array(1000) : new Float32Array(1000)).fill(r + 1)]) {
      const arrays = g.groups.map((_, r) => make(r));
      const results = await Promise.allSettled(g.groups.map((group, r) => group.allreduce(arrays[r] as CollectiveArray, "SUM", 1000)));
      const messages = results.map((res) => {
        assert.ok(res.status === "rejected" && res.reason instanceof CollectiveError, String(res.status));
        return String((res.reason as Error).message).replace(/^.*? failed: /, "");
      });
      assert.equal(new Set(messages).size, 1, messages.join(" | "));
      assert.match(messages[0] as string, /the ranks disagree: /);
      arrays.forEach((a, r) => assert.ok(a.every((v) => v === r + 1), `rank ${r}'s array is unchanged`));
    }
    const arrays = g.groups.map((_, r) => new Float32Array(1000).fill(r));
    await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as Float32Array, "SUM", 1000)));
    for (const a of arrays) assert.ok(a.every((v) => v === 3));
    await settle(g);
  });

  it("a rank lost in the middle: the others reject with CollectiveError naming it", async () => {
    const g = memoryGroups(["a", "a", "a"], { direct: true, chunkBytes: 8 });
    const arrays = g.groups.map(() => new Float64Array(1000));
    const running = g.groups.slice(0, 2).map((group, r) =>
      assert.rejects(group.allreduce(arrays[r] as Float64Array, "SUM", 60_000), (e: unknown) => e instanceof CollectiveError && /rank 2 left the group|rank \d gave up/.test(e.message)),
    );
    await new Promise((r) => setImmediate(r));
    g.kill(2);
    await Promise.all(running);
    await settle(g);
  });
});
