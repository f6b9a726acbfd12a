/**
 * Issue 24 point 8: a by-value argument larger than the inline limit goes through the object
 * store (one copy into the node's store, read in place by the worker), not inside the task's
 * spec; and a typed array on a SharedArrayBuffer is stored by `put` like any other.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { nodeStats } from "@lux/core/internal";
import { LocalCluster } from "lux/testing";
import { waitFor } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lux-large-args-"));
let cluster: LocalCluster | undefined;

/** Sums `a` once `go` exists (so the test can look at the store while the argument is pending). */
const sumWhenGo = lux.remote(async (go: string, a: Float64Array, label: string) => {
  while (!(await import("node:fs")).existsSync(go)) await new Promise((r) => setTimeout(r, 10));
  let s = 0;
  for (const x of a) s += x;
  return `${label}:${a.length}:${s}`;
});

class Summer {
  sum(a: Float64Array, b: number): number {
    let s = b;
    for (const x of a) s += x;
    return s;
  }
}

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2, objectStoreMemory: 256 * 1024 ** 2 } });
  await lux.init({ address: cluster.address });
});
after(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("a by-value argument over the inline limit is stored in the object store, and the task reads it", async () => {
  const big = new Float64Array(4 * 1024 * 1024).fill(0.5); // 32 MiB, far over the 100 KiB inline limit
  const before = (await nodeStats()).objectStore;
  const go = path.join(tmp, "go");
  const ref = sumWhenGo.remote(go, big, "big");
  // While the task waits, the argument sits in the node's store (it would be in the spec if inline).
  await waitFor(async () => (await nodeStats()).objectStore.bytes >= before.bytes + big.byteLength, "the argument in the object store");
  fs.writeFileSync(go, "");
  assert.equal(await lux.get(ref), `big:${big.length}:${big.length / 2}`);
  // Small arguments still travel inline, and a mix of both works.
  assert.equal(await lux.get(sumWhenGo.remote(go, new Float64Array([1, 2]), "small")), "small:2:3");
  const summer = lux.remote(Summer).remote();
  assert.equal(await lux.get(summer.sum.remote(big, 1)), big.length / 2 + 1, "an actor call's large argument too");
});

test("put copies a typed array on a SharedArrayBuffer like any other", async () => {
  const shared = new Float64Array(new SharedArrayBuffer(8 * 300_000)); // 2.4 MB: stored, not inline
  for (let i = 0; i < shared.length; i++) shared[i] = i;
  const ref = lux.put(shared);
  shared[0] = -1; // put copied it: later writes do not reach the stored object
  const back = await lux.get(ref);
  assert.ok(back instanceof Float64Array);
  assert.equal(back.length, shared.length);
  assert.equal(back[0], 0);
  assert.equal(back[299_999], 299_999);
  const small = new Int32Array(new SharedArrayBuffer(16));
  small.set([1, 2, 3, 4]);
  assert.deepEqual([...(await lux.get(lux.put(small)))], [1, 2, 3, 4]);
});
