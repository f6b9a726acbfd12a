/**
 * The shared-memory object store, through the public API: large values cost one copy to
 * put and none to get on the same node, readers cannot change stored objects, and the
 * store frees, spills and restores objects as refs come and go.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { fixtures, runScript, waitFor } from "./helpers.js";

const MiB = 1024 * 1024;

const sumArray = lux.remote((a: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
});
const fill = lux.remote((n: number, v: number) => new Float64Array(n).fill(v));
const firstAfterWrite = lux.remote((a: Float64Array) => {
  const before = a[0];
  a[0] = -1; // a task mutating its argument must not change the stored object
  return before;
});

/** Checks a few positions and a checksum of a strided sample, without a full scan. */
function sample(a: Float64Array, stride = 4099): number {
  let s = 0;
  for (let i = 0; i < a.length; i += stride) s += a[i] as number;
  return s;
}

describe("shared-memory object store", () => {
  before(async () => {
    await lux.init({ numCpus: 2, objectStoreMemory: 512 * MiB });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("the store in use is named by lux.nodes()", async () => {
    const [node] = await lux.nodes();
    assert.equal(node?.objectStore.kind, "shared-memory");
    assert.equal(node?.objectStore.capacity, 512 * MiB);
  });

  test("a task sums a 256 MiB argument read in place", async () => {
    const n = (256 * MiB) / 8;
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = i % 7;
    let expected = 0;
    for (let i = 0; i < n; i++) expected += i % 7;
    const ref = lux.put(a);
    assert.equal(await lux.get(sumArray.remote(ref)), expected);
  });

  test("mutating a value from get changes neither the stored object nor other readers", async () => {
    const ref = lux.put(new Float64Array(MiB).fill(3));
    const mine = await lux.get(ref);
    mine[0] = 42;
    mine[MiB - 1] = 42;
    const again = await lux.get(ref);
    assert.equal(again[0], 3);
    assert.equal(again[MiB - 1], 3);
    assert.equal(mine[0], 42, "the reader keeps its own change");
    assert.equal(await lux.get(firstAfterWrite.remote(ref)), 3);
    assert.equal(await lux.get(firstAfterWrite.remote(ref)), 3, "the task's write did not reach the store");
    const stillMine = await lux.get(ref);
    assert.equal(stillMine[0], 3);
  });

  test("mutating the source array after put does not change the stored object", async () => {
    const src = new Float64Array(MiB).fill(1);
    const ref = lux.put(src);
    src.fill(9);
    const got = await lux.get(ref);
    assert.equal(got[0], 1);
    assert.equal(got[MiB - 1], 1);
  });

  test("a large task return goes through the store and reads back intact", async () => {
    const got = await lux.get(fill.remote((32 * MiB) / 8, 2.5));
    assert.equal(got.length, (32 * MiB) / 8);
    assert.equal(sample(got, 1), 2.5 * got.length);
  });

  test("768 MiB of live objects pass through a 512 MiB store: spilled and restored intact", async () => {
    const each = (128 * MiB) / 8;
    const refs = Array.from({ length: 6 }, (_, k) => lux.put(new Float64Array(each).fill(k + 1)));
    for (let k = 0; k < refs.length; k++) {
      const v = await lux.get(refs[k] as lux.ObjectRef<Float64Array>);
      assert.equal(v.length, each);
      assert.equal(v[0], k + 1);
      assert.equal(v[each - 1], k + 1);
      assert.equal(sample(v), (k + 1) * Math.ceil(each / 4099));
    }
    // And in reverse order, after the later ones pushed the earlier ones out again.
    for (let k = refs.length - 1; k >= 0; k--) {
      const v = await lux.get(refs[k] as lux.ObjectRef<Float64Array>);
      assert.equal(v[each >> 1], k + 1);
    }
  });

  test("40 puts of 64 MiB with dropped refs never fill a 512 MiB store", async () => {
    const each = (64 * MiB) / 8;
    for (let k = 0; k < 40; k++) {
      const ref = lux.put(new Float64Array(each).fill(k));
      const v = await lux.get(ref);
      assert.equal(v[each - 1], k);
    }
  });

  test("a view kept after its ref is dropped stays valid", async () => {
    let view: Float64Array | undefined = await lux.get(lux.put(new Float64Array(MiB).fill(7)));
    // Churn the store so a freed region would be reused by other objects.
    for (let k = 0; k < 12; k++) await lux.get(lux.put(new Float64Array((64 * MiB) / 8).fill(100 + k)));
    assert.equal(view[0], 7);
    assert.equal(view[MiB - 1], 7);
    view = undefined;
  });

  test("an object larger than the store fails with ObjectStoreFullError naming its size", () => {
    assert.throws(
      () => lux.put(new Uint8Array(600 * MiB)),
      (e: unknown) => e instanceof lux.ObjectStoreFullError && /600\.0 MiB|629145600/.test((e as Error).message),
    );
  });
});

describe("a 1 GiB object", () => {
  before(async () => {
    await lux.init({ numCpus: 1, objectStoreMemory: 1280 * MiB });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("is put with one copy and got back as a view, intact", async () => {
    const n = (1024 * MiB) / 8;
    const src = new Float64Array(n);
    for (let i = 0; i < n; i += 512) src[i] = i;
    const ref = lux.put(src);
    const got = await lux.get(ref);
    assert.equal(got.length, n);
    assert.notEqual(got.buffer, src.buffer);
    let mismatches = 0;
    for (let i = 0; i < n; i += 512) if (got[i] !== i) mismatches++;
    assert.equal(mismatches, 0);
    assert.equal(got[n - 1], 0);
  });
});

describe("object store without the shared-memory addon", () => {
  test("falls back to the file-backed store, which copies, and says so", async () => {
    const r = await runScript(`${fixtures}/object-store-fallback.ts`, { env: { LUX_DISABLE_SHM_ADDON: "1" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind=file/);
    assert.match(r.stdout, /sum=4194304/);
  });
});

describe("object store files of killed raylets", () => {
  const arenasOf = (pid: number): string[] => fs.readdirSync("/dev/shm").filter((f) => f.startsWith(`lux-arena-${pid}-`));

  test("are removed when the raylet is killed, and orphans are removed by the next raylet", async () => {
    // An orphan: the file of a "raylet" whose pid cannot be running (above the kernel's pid limit).
    const deadPid = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
    const orphan = `/dev/shm/lux-arena-${deadPid}-test`;
    fs.writeFileSync(orphan, "x");
    const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: 64 * MiB } });
    try {
      assert.equal(fs.existsSync(orphan), false, "the head raylet removed the orphan arena at start");
      const node = await cluster.addNode({ numCpus: 1, objectStoreMemory: 64 * MiB });
      assert.equal(arenasOf(node.pid).length, 1, "the node's arena exists while it runs");
      await cluster.removeNode(node); // SIGKILL: the raylet cannot clean up after itself
      await waitFor(() => arenasOf(node.pid).length === 0, "the killed raylet's arena to be removed");
    } finally {
      fs.rmSync(orphan, { force: true });
      await cluster.shutdown();
    }
  });
});
