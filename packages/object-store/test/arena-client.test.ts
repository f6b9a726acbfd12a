/**
 * The process side of the arena as a raylet uses it for transfers: bytes received from
 * another node written past the CPU cache (`writeReceived`) read back exactly, whatever their
 * alignment and size; `sharedBytes` views the arena in place (no copy) anywhere in it,
 * across the 1 GiB steps of its windows too (the file is sparse: no memory is used).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { openArena, viewAccountingFactor } from "../src/arena-client.js";
import { storeKind } from "../src/native.js";

const GiB = 2 ** 30;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-arena-client-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function arena(capacity: number): ReturnType<typeof openArena> {
  const file = path.join(dir, `arena-${capacity}`);
  fs.writeFileSync(file, "");
  fs.truncateSync(file, capacity);
  return openArena(file, capacity);
}

const pattern = (length: number, seed: number): Buffer => {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 17 + i * 5) & 0xff;
  return b;
};

for (const fresh of [false, true]) {
test(`writeReceived${fresh ? " through the file (never-written pages)" : ""}: bytes of any alignment and size read back exactly`, () => {
  const a = arena(8 << 20);
  for (const [offset, length] of [[0, 1], [3, 100], [5, 4095], [4096, 4096], [17, 65_537], [1, (2 << 20) + 13]] as const) {
    const data = pattern(length, offset);
    // Around the bytes: untouched.
    a.write(offset + length, Buffer.from([0xaa]));
    a.writeReceived(offset, data, fresh);
    assert.ok(Buffer.from(a.sharedBytes(offset, length)).equals(data), `${length} bytes at ${offset}`);
    assert.equal(a.sharedBytes(offset + length, 1)[0], 0xaa, `the byte after ${length} bytes at ${offset}`);
    assert.ok(Buffer.from(a.view(offset - (offset % 4096), length + (offset % 4096))).subarray(offset % 4096).equals(data));
  }
});
}

test("sharedBytes views the arena in place, anywhere in it", () => {
  assert.equal(storeKind(), "shared-memory", "the shared-memory addon is built (npm install)");
  const a = arena(3 * GiB);
  for (const offset of [0, GiB - 10, GiB, 2 * GiB - 10, 3 * GiB - 100]) {
    a.writeReceived(offset, pattern(100, offset % 251));
    const view = a.sharedBytes(offset, 100);
    assert.ok(Buffer.from(view).equals(pattern(100, offset % 251)), `at ${offset}`);
    a.write(offset, Buffer.from([1, 2, 3]));
    assert.deepEqual([...view.subarray(0, 3)], [1, 2, 3], `a view, not a copy, at ${offset}`);
  }
});

/** A scavenge (minor collection) or a full one, with the gc function V8 exposes on demand. */
function collector(): (options?: { type: "minor" | "major" }) => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a view's `collected` is called once it is garbage, by a scavenge already; a kept view stays readable", async () => {
  const gc = collector();
  const a = arena(64 << 20);
  a.write(0, pattern(8192, 3));
  const collected: number[] = [];
  // Made in a function of its own: a local of this async function would stay in its suspended frame.
  const viewAll = (): ArrayBuffer => {
    let seventh: ArrayBuffer | undefined;
    for (let i = 0; i < 50; i++) {
      const view = a.view(0, 8192, () => collected.push(i));
      if (i === 7) seventh = view;
    }
    return seventh as ArrayBuffer;
  };
  let kept: ArrayBuffer | undefined = viewAll();
  // Views pinned nothing but their objects: they must go with young collections, not wait
  // for a full one (a FinalizationRegistry's targets survive every scavenge).
  for (let k = 0; k < 3 && collected.length < 49; k++) {
    gc({ type: "minor" });
    await turn();
  }
  assert.equal(collected.length, 49, "every dropped view reported after scavenges");
  assert.ok(!collected.includes(7), "the kept view is not reported");
  assert.ok(Buffer.from(kept as ArrayBuffer).equals(pattern(8192, 3)), "the kept view reads its bytes");
  kept = undefined;
  for (let k = 0; k < 3 && collected.length < 50; k++) {
    gc();
    await turn();
  }
  assert.equal(collected.length, 50, `each view reported once; missing: ${[...Array(50).keys()].filter((i) => !collected.includes(i))}`);
  assert.equal(new Set(collected).size, 50, "each view reported once");
});

test("viewAccountingFactor: all of a view on a small store, a share on a large one (full collections about once per eighth of the store mapped)", () => {
  assert.equal(viewAccountingFactor(256 << 20), 1);
  assert.equal(viewAccountingFactor(512 << 20), 1);
  assert.equal(viewAccountingFactor(8 * GiB), (64 << 20) / GiB);
  assert.ok(viewAccountingFactor(0) > 0);
});

test("write of a large buffer lands exactly, also across never-written pages", () => {
  const a = arena(64 << 20);
  for (const [offset, length] of [[0, 4 << 20], [4096 * 3 + 11, (1 << 20) + 5], [(32 << 20) + 1, (8 << 20) - 1]] as const) {
    const data = pattern(length, offset % 97);
    a.write(offset, data);
    assert.ok(Buffer.from(a.sharedBytes(offset, length)).equals(data), `${length} bytes at ${offset}`);
  }
});

test("writing a view of the arena: its bytes as the view has them, written to or not, whole or in part", () => {
  const MiB = 1 << 20;
  const a = arena(16 * MiB);
  const source = pattern(MiB + 4096, 3);
  a.write(0, source);
  const expectAt = (offset: number, bytes: Uint8Array, what: string): void =>
    assert.ok(Buffer.from(a.sharedBytes(offset, bytes.byteLength)).equals(bytes), what);

  // A view nobody wrote to: the arena's bytes (copied from where they lie in the arena).
  const view = new Uint8Array(a.view(0, MiB + 4096));
  a.write(2 * MiB, view);
  expectAt(2 * MiB, source, "an unwritten view");
  a.write(4 * MiB, view.subarray(4096 + 3, MiB));
  expectAt(4 * MiB, source.subarray(4096 + 3, MiB), "part of an unwritten view");
  a.write(5 * MiB, new Float64Array(view.buffer, 8 * 4096, (64 * 1024) / 8));
  expectAt(5 * MiB, source.subarray(8 * 4096, 8 * 4096 + 64 * 1024), "another typed array over it");

  // Written to (its own private copy of a page): what the view has, not the arena.
  view[300_000] = (view[300_000] as number) ^ 0xff;
  const changed = Buffer.from(view);
  assert.notEqual(changed[300_000], source[300_000]);
  a.write(8 * MiB, view);
  expectAt(8 * MiB, changed, "a view written to");
  a.write(10 * MiB, view.subarray(200_000, 400_000));
  expectAt(10 * MiB, changed.subarray(200_000, 400_000), "the written part of a view");
  a.write(11 * MiB, view.subarray(400_000, MiB));
  expectAt(11 * MiB, source.subarray(400_000, MiB), "an unwritten part of a view written elsewhere");
  // The arena itself is unchanged by the view's write.
  expectAt(0, source, "the arena under the view");

  // A view of another arena file (another node's store in this process) is copied as it is.
  const b = arena(8 * MiB + 4096);
  b.write(0, pattern(MiB, 9));
  const other = new Uint8Array(b.view(0, MiB));
  a.write(12 * MiB, other);
  expectAt(12 * MiB, pattern(MiB, 9), "a view of another arena");
});
