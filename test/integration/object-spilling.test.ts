/**
 * Spilling, as Ray's test_object_spilling checks it: a store much smaller than the objects a
 * program keeps referenced spills the ones no one reads and restores them when read, so
 * every put and every get succeeds. Issue 13, point 5.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";

const MiB = 1024 * 1024;

/** A fixed pseudo-random sequence (a failure replays the same way). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// About 1.6 GB through disk and 1,000 restores: 30-50 s on 2 busy cores, twice that when the machine is shared.
describe("object spilling", { timeout: 300_000 }, () => {
  before(async () => {
    await lux.init({ numCpus: 1, objectStoreMemory: 75 * MiB });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("spills objects automatically: 100 referenced puts of 8-24 MiB through a 75 MiB store, then 1,000 random gets, all intact", async () => {
    const random = lcg(13);
    const refs: lux.ObjectRef<Float64Array>[] = [];
    const lengths: number[] = [];
    // One synchronous loop, as a program would write it: it never yields to its event loop.
    for (let i = 0; i < 100; i++) {
      const length = (1 + Math.floor(random() * 3)) * MiB; // 8, 16 or 24 MiB of float64
      const a = new Float64Array(length);
      a[0] = i;
      a[length >> 1] = i + 0.5;
      a[length - 1] = -i;
      refs.push(lux.put(a));
      lengths.push(length);
    }
    for (let k = 0; k < 1000; k++) {
      const i = Math.floor(random() * refs.length);
      // timeoutMs 0: a put object is ready at once, in memory or on disk.
      const v = await lux.get(refs[i] as lux.ObjectRef<Float64Array>, { timeoutMs: 0 });
      const n = lengths[i] as number;
      assert.equal(v.length, n, `get ${k}: object ${i}'s length`);
      assert.deepEqual([v[0], v[n >> 1], v[n - 1]], [i, i + 0.5, -i], `get ${k}: object ${i}'s contents`);
    }
  });
});
