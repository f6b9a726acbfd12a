/**
 * lux.util.collective.sharedArray and allreduce in place (groups joined in memory, whose
 * "ranks" map each other's arrays through this process's /proc/PID/fd as other processes
 * would): on one node, the same bits as the message path for every op and type, with nothing
 * but small messages sent; a group where one rank passes an ordinary array, a group across
 * nodes and an array of another group take the message path, right all the same; peers map
 * an array once and let it go once it is collected; a peer's array that cannot be mapped fails
 * every rank's call; bad arguments throw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as v8 from "node:v8";
import { runInNewContext } from "node:vm";
import * as fs from "node:fs";
import { CollectiveError, InvalidOptionError } from "@lux/core";
import { memoryGroups, unreleasedOf, type MemoryGroups } from "./collective-memory-network.js";
import { sharedArray } from "../src/collective/api.js";
import { sharedArraysAvailable, sharedRefOf } from "../src/collective/shared-arrays.js";
import { REDUCE_OPS, type CollectiveArray, type CollectiveArrayType, type ReduceOp } from "../src/collective/typed-arrays.js";

const GROUP = { groupName: "test" }; // memoryGroups' groups are named "test"
const CHUNK = { chunkBytes: 64 * 1024 };
const TYPES: CollectiveArrayType<CollectiveArray>[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/** Deterministic values for `Type`: floats of many magnitudes (so the order of a sum shows in its bits), NaNs and signed zeros; integers that overflow. */
function fill(arr: CollectiveArray, seed: number, op: ReduceOp): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let i = 0; i < arr.length; i++) {
    const u = next();
    if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) {
      arr[i] = BigInt(Math.floor(u * 2 ** 53)) * (op === "PRODUCT" ? 2n ** 10n : 1n);
    } else if (arr instanceof Float32Array || arr instanceof Float64Array) {
      arr[i] = i % 97 === 0 ? NaN : i % 89 === 0 ? -0 : (u - 0.5) * 10 ** Math.floor(next() * 12 - 6);
    } else {
      arr[i] = Math.floor(u * 2 ** 32);
    }
  }
}

function copyInto<A extends CollectiveArray>(Type: CollectiveArrayType<A>, from: CollectiveArray): A {
  const out = new Type(from.length);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(new Uint8Array(from.buffer, from.byteOffset, from.byteLength));
  return out;
}

const bytesOf = (a: CollectiveArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function settle(g: MemoryGroups): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(unreleasedOf(g), 0, "every message delivered was released");
  for (const group of g.groups) assert.equal(group.mailbox.size, 0, "no message left in a mailbox");
}

/**
 * Allreduces `inputs` (rank r's: `inputs[r]`, shared or not as made) on `nodes`, and the same
 * values in ordinary arrays through the message path on the same nodes; asserts the same bits.
 * Resolves to the bytes the shared run sent.
 */
async function againstMessagePath(nodes: string[], inputs: CollectiveArray[], op: ReduceOp, what: string): Promise<number> {
  const Type = inputs[0]?.constructor as CollectiveArrayType<CollectiveArray>;
  const reference = inputs.map((a) => copyInto(Type, a));
  const plain = memoryGroups(nodes, CHUNK);
  await Promise.all(plain.groups.map((group, r) => group.allreduce(reference[r] as CollectiveArray, op, 10_000)));
  assert.ok(plain.sentBytes >= (reference[0] as CollectiveArray).byteLength / 2, "the reference took the message path");
  const g = memoryGroups(nodes, CHUNK);
  await Promise.all(g.groups.map((group, r) => group.allreduce(inputs[r] as CollectiveArray, op, 10_000)));
  inputs.forEach((a, r) => assert.deepEqual(bytesOf(a), bytesOf(reference[r] as CollectiveArray), `${what}: rank ${r}'s bits`));
  await settle(g);
  return g.sentBytes;
}

/** Three allreduces of one pair of shared arrays (which nothing holds once it resolves): each rank maps the other's once. */
async function allreduceThrice(g: MemoryGroups): Promise<void> {
  const arrays = [sharedArray(Float32Array, 1000, GROUP), sharedArray(Float32Array, 1000, GROUP)];
  for (let i = 0; i < 3; i++) {
    arrays.forEach((a, r) => a.fill(r + 1));
    await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as Float32Array, "SUM", 10_000)));
    for (const a of arrays) assert.equal(a[999], 3);
    for (const group of g.groups) assert.equal(group.mappedPeerArrays, 1, "each rank maps the other's array once");
  }
}

describe("sharedArray and allreduce in place", () => {
  it("this system has what shared arrays need (Linux's /dev/shm and /proc, the object store's addon: npm install builds it)", () => {
    assert.ok(sharedArraysAvailable());
  });

  for (const ranks of [2, 3]) {
    it(`${ranks} ranks on one node: every op and type, the message path's bits, no data in messages`, async () => {
      const nodes = Array.from({ length: ranks }, () => "a");
      for (const Type of TYPES) {
        // Pieces of 128 KiB: several of them per part, the last one short.
        const length = Math.floor((300 * 1024) / Type.BYTES_PER_ELEMENT) + 7;
        for (const op of REDUCE_OPS) {
          const inputs = nodes.map((_, r) => {
            const a = sharedArray(Type, length, GROUP);
            fill(a, r + 1, op);
            return a;
          });
          const sent = await againstMessagePath(nodes, inputs, op, `${Type.name} ${op}`);
          assert.ok(sent < 4096, `${Type.name} ${op}: only small messages (${sent} bytes) for ${ranks} arrays of ${inputs[0]?.byteLength} bytes`);
        }
      }
    });
  }

  it("a subarray of a shared array is shared too; a shared array of length 0 or 1 works", async () => {
    const nodes = ["a", "a", "a"];
    const inputs = nodes.map((_, r) => {
      const a = sharedArray(Float64Array, 50_000, GROUP);
      fill(a, r + 7, "SUM");
      return a.subarray(1000, 41_001);
    });
    assert.ok((await againstMessagePath(nodes, inputs, "SUM", "subarrays")) < 4096);
    for (const length of [0, 1]) {
      const tiny = nodes.map((_, r) => sharedArray(Int32Array, length, GROUP).fill(r + 1));
      await againstMessagePath(nodes, tiny, "MAX", `length ${length}`);
    }
  });

  it("mixed groups take the message path on every rank, with the right result", async () => {
    const length = 100_003;
    const cases: { nodes: string[]; shared: boolean[]; group?: string[] }[] = [
      { nodes: ["a", "a"], shared: [true, false] },
      { nodes: ["a", "a", "a"], shared: [false, true, true] },
      // Every rank shared, but across two nodes.
      { nodes: ["a", "a", "b"], shared: [true, true, true] },
      // Every rank shared, but one array for another group.
      { nodes: ["a", "a"], shared: [true, true], group: ["test", "other"] },
    ];
    for (const { nodes, shared, group } of cases) {
      const inputs = nodes.map((_, r) => {
        const a = shared[r] === true ? sharedArray(Float32Array, length, { groupName: group?.[r] ?? "test" }) : new Float32Array(length);
        fill(a, r + 3, "SUM");
        return a;
      });
      const sent = await againstMessagePath(nodes, inputs, "SUM", `nodes ${nodes.join("")}, shared ${shared.join()}`);
      assert.ok(sent >= (length * 4) / 2, "the data went through messages");
    }
  });

  it("peers map an array once, and unmap it once its owner collected it", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const g = memoryGroups(["a", "a"], CHUNK);
    await allreduceThrice(g);
    // Each owner learns that its array was collected (a FinalizationRegistry: after a full
    // collection, on a later task); its next allreduce tells the peer, who unmaps it.
    const next = [new Float32Array(4), new Float32Array(4)];
    const deadline = Date.now() + 10_000;
    while (g.groups.some((group) => group.mappedPeerArrays > 0)) {
      assert.ok(Date.now() < deadline, "the collected arrays' mappings were let go");
      gc();
      await new Promise((r) => setTimeout(r, 10));
      await Promise.all(g.groups.map((group, r) => group.allreduce(next[r] as Float32Array, "SUM", 10_000)));
    }
    await settle(g);
  });

  it("a peer's array that cannot be mapped fails the allreduce on every rank with CollectiveError (no hang)", { timeout: 20_000 }, async () => {
    const g = memoryGroups(["a", "a", "a"], CHUNK);
    const arrays = [0, 1, 2].map(() => sharedArray(Float32Array, 100, GROUP));
    // Rank 2's region no longer carries the nonce its calls give.
    const ref = sharedRefOf(arrays[2] as Float32Array, "test");
    assert.ok(ref !== undefined);
    const fd = fs.openSync(ref.path, "r+");
    fs.writeSync(fd, Buffer.from("x"), 0, 1, 0);
    fs.closeSync(fd);
    const outcomes = await Promise.allSettled(g.groups.map((group, r) => group.allreduce(arrays[r] as Float32Array, "SUM", 10_000)));
    outcomes.forEach((o, r) => {
      assert.equal(o.status, "rejected", `rank ${r}`);
      const e = (o as PromiseRejectedResult).reason as Error;
      assert.ok(e instanceof CollectiveError, `rank ${r}: ${String(e)}`);
      if (r !== 2) assert.match(e.message, /not the peer's shared array any more/);
    });
    // The group goes on with ordinary arrays.
    const plain = [1, 2, 3].map((v) => new Int32Array(4).fill(v));
    await Promise.all(g.groups.map((group, r) => group.allreduce(plain[r] as Int32Array, "SUM", 10_000)));
    for (const a of plain) assert.deepEqual([...a], [6, 6, 6, 6]);
    await settle(g);
  });

  it("a destroyed group lets its mappings go", async () => {
    const g = memoryGroups(["a", "a"], CHUNK);
    const arrays = [sharedArray(Int32Array, 10, GROUP).fill(1), sharedArray(Int32Array, 10, GROUP).fill(2)];
    await Promise.all(g.groups.map((group, r) => group.allreduce(arrays[r] as Int32Array, "SUM", 10_000)));
    assert.deepEqual([...(arrays[1] as Int32Array)], new Array(10).fill(3));
    for (const group of g.groups) await group.destroy();
    for (const group of g.groups) assert.equal(group.mappedPeerArrays, 0);
  });
});

describe("sharedArray's arguments", () => {
  it("throws TypeError for what is not a typed array class, RangeError for a bad length, InvalidOptionError for a bad group name", () => {
    const bad = sharedArray as unknown as (type: unknown, length: unknown, options?: unknown) => unknown;
    for (const type of [Array, Buffer, DataView, Object, null, "Float32Array", 4]) {
      assert.throws(() => bad(type, 4), (e: unknown) => e instanceof TypeError && /sharedArray\(\) takes a typed array class/.test((e as Error).message), String(type));
    }
    for (const length of [-1, 1.5, NaN, Infinity, "4", 2 ** 31 / 4 + 1]) {
      assert.throws(() => bad(Float32Array, length), (e: unknown) => e instanceof RangeError && /sharedArray\(\) takes a length from 0/.test((e as Error).message), String(length));
    }
    assert.throws(() => bad(Float32Array, 4, { groupName: "" }), InvalidOptionError);
  });

  it("every typed array class gives an array of its type, of zeros, of the length asked", () => {
    for (const Type of TYPES) {
      const a = sharedArray(Type, 33);
      assert.equal(a.constructor, Type);
      assert.equal(a.length, 33);
      assert.ok([...a].every((v) => v === 0 || v === 0n));
    }
  });
});
