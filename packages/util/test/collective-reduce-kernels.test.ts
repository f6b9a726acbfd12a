/**
 * The addon's reduction kernels (lux_shm.cc) against the JavaScript loops they replace: every
 * op and element type, odd lengths, bytes at any alignment or cut in pieces anywhere, NaN and
 * signed zeros. Every element must come out with the loops' bits (any NaN where they give NaN).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadShmAddon, TYPED_ARRAY_CLASSES } from "@lux/core/internal";
import { REDUCE_OPS, reduceInto, reducePiecesInto, reduceWithLoops, type CollectiveArray, type ReduceOp } from "../src/collective/typed-arrays.js";

type Ctor = (typeof TYPED_ARRAY_CLASSES)[number];

const FLOAT_SPECIALS = [0, -0, 1, -1, 0.1, -2.5, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 1.7e308, 5e-324, 16777217, 0.3];
const LENGTHS = [1, 2, 3, 7, 17, 255, 1001, 4099];

/** `n` values for `ctor` from `seed`: extremes and specials first, then a spread of ordinary ones. */
function valuesOf(ctor: Ctor, n: number, seed: number): CollectiveArray {
  const arr = new ctor(n) as CollectiveArray;
  let x = seed * 2654435761;
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  for (let i = 0; i < n; i++) {
    const r = next();
    if (arr instanceof Float32Array || arr instanceof Float64Array) {
      arr[i] = r % 3 === 0 ? (FLOAT_SPECIALS[(i + seed) % FLOAT_SPECIALS.length] as number) : ((r / 0xffffffff) - 0.5) * 10 ** ((r % 12) - 4);
    } else if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) {
      arr[i] = (BigInt(r) << 32n) | BigInt(next());
    } else {
      (arr as Int32Array)[i] = r % 5 === 0 ? [0, -1, 2 ** 31 - 1, -(2 ** 31), 255, 127, -128][i % 7]! : r;
    }
  }
  return arr;
}

function bytes(arr: CollectiveArray): Uint8Array {
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** `actual` has `expected`'s bits, element by element, save that any NaN stands for NaN. */
function assertSameBits(actual: CollectiveArray, expected: CollectiveArray, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const floats = actual instanceof Float32Array || actual instanceof Float64Array;
  const size = actual.BYTES_PER_ELEMENT;
  const a = bytes(actual);
  const e = bytes(expected);
  for (let i = 0; i < actual.length; i++) {
    if (floats && Number.isNaN(expected[i])) {
      assert.ok(Number.isNaN(actual[i]), `${what}: element ${i} is ${actual[i]}, expected NaN`);
      continue;
    }
    const same = a.subarray(i * size, (i + 1) * size).every((b, k) => b === e[i * size + k]);
    assert.ok(same, `${what}: element ${i} is ${String(actual[i])}, expected ${String(expected[i])} (bits differ)`);
  }
}

function copy(arr: CollectiveArray): CollectiveArray {
  return new (arr.constructor as Ctor)(arr as never) as CollectiveArray;
}

function byLoops(dst: CollectiveArray, src: CollectiveArray, op: ReduceOp): CollectiveArray {
  const out = copy(dst);
  reduceWithLoops(out, src, op);
  return out;
}

describe("reduction kernels", () => {
  it("the addon has them (npm install builds it)", () => {
    const loaded = loadShmAddon();
    assert.ok("addon" in loaded, `the shared-memory addon did not load: ${"error" in loaded ? loaded.error.message : ""}`);
    assert.equal(typeof loaded.addon.reduce, "function");
    assert.equal(loaded.addon.reduce(new Float32Array(4), new Float32Array(4), 0), true, "a Float32Array sum is the addon's");
    assert.equal(loaded.addon.reduce(new Uint8ClampedArray(4), new Uint8ClampedArray(4), 0), false, "clamped arrays are left to the loops");
    assert.equal(loaded.addon.reduce(new Int32Array(4), new Int32Array(4), 1), false, "32-bit integer products are left to the loops");
    assert.throws(() => loaded.addon.reduce(new Float32Array(4), new Float32Array(3), 0), RangeError);
  });

  for (const ctor of TYPED_ARRAY_CLASSES) {
    it(`${ctor.name}: every op, at odd lengths, gives the loops' bits`, () => {
      for (const op of REDUCE_OPS) {
        for (const n of LENGTHS) {
          const dst = valuesOf(ctor, n, n);
          const src = valuesOf(ctor, n, n + 7);
          const expected = byLoops(dst, src, op);
          reduceInto(dst, src, op);
          assertSameBits(dst, expected, `${ctor.name} ${op} of ${n}`);
        }
      }
    });
  }

  it("source bytes at any alignment, or cut in pieces anywhere (an element split between two), give the same bits", () => {
    for (const ctor of [Float32Array, Float64Array, Int16Array, Int32Array, BigInt64Array] as const) {
      for (const op of REDUCE_OPS) {
        const n = 37;
        const dst = valuesOf(ctor, n, 3);
        const src = valuesOf(ctor, n, 11);
        const expected = byLoops(dst, src, op);
        for (const shift of [1, 2, 3, 5]) {
          const unaligned = new Uint8Array(src.byteLength + shift);
          unaligned.set(bytes(src), shift);
          const out = copy(dst);
          reduceInto(out, unaligned.subarray(shift), op);
          assertSameBits(out, expected, `${ctor.name} ${op}, source at byte offset ${shift}`);
        }
        for (const cuts of [[1], [3, 4, 5], [7, 1, 1, 13], [src.byteLength - 1]]) {
          const pieces: Uint8Array[] = [];
          let at = 0;
          for (const cut of cuts) {
            pieces.push(bytes(src).slice(at, at + cut));
            at += cut;
          }
          pieces.push(bytes(src).slice(at));
          const out = copy(dst);
          reducePiecesInto(out, pieces, op);
          assertSameBits(out, expected, `${ctor.name} ${op}, pieces of ${cuts.join(", ")}, …`);
        }
      }
    }
    assert.throws(() => reducePiecesInto(new Float32Array(2), [new Uint8Array(3), new Uint8Array(4)], "SUM"), RangeError);
  });

  it("NaN and signed zeros: NaN on either side is NaN for every op; MIN puts -0 below +0 and MAX above, in either order", () => {
    for (const ctor of [Float32Array, Float64Array] as const) {
      for (const op of REDUCE_OPS) {
        const dst = ctor.from([NaN, 1, NaN, -Infinity]);
        reduceInto(dst, ctor.from([2, NaN, NaN, NaN]), op);
        assert.ok([...dst].every(Number.isNaN), `${ctor.name} ${op}: ${[...dst].join(", ")}`);
      }
      const min = ctor.from([0, -0, -0, 0]);
      reduceInto(min, ctor.from([-0, 0, -0, 0]), "MIN");
      assert.deepEqual([...min].map((v) => Object.is(v, -0)), [true, true, true, false]);
      const max = ctor.from([0, -0, -0, 0]);
      reduceInto(max, ctor.from([-0, 0, -0, 0]), "MAX");
      assert.deepEqual([...max].map((v) => Object.is(v, -0)), [false, false, true, false]);
      // The same inputs give the same bits, NaN included: what every rank relies on.
      const a = valuesOf(ctor, 1001, 5);
      const b = valuesOf(ctor, 1001, 6);
      const once = copy(a);
      const twice = copy(a);
      reduceInto(once, b, "SUM");
      reduceInto(twice, b, "SUM");
      assert.deepEqual(bytes(once), bytes(twice));
    }
  });
});
