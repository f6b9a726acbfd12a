/**
 * Issue 24 point 1: spilling onto a full disk. The spill folder is on a tmpfs of 1.5 MiB
 * mounted by the test (root is needed: without it the test fails and says so), the arena
 * holds four 1 MiB objects. The store must stay usable: a create that cannot fit fails with
 * ObjectStoreFullError naming the spill folder and its free space, no partial spill file
 * stays, and every object already stored reads back intact.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ObjectStoreFullError } from "@lux/common";
import { ArenaStore } from "../src/arena-store.js";

const MiB = 1024 * 1024;
const client = { name: "test client" };

/** A tmpfs of `bytes` at a new temporary folder; throws (failing the test) when it cannot be mounted. */
function mountTmpfs(bytes: number): { dir: string; unmount(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tmpfs-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs at ${dir} (this test needs root to make a small disk): ${r.stderr || r.error?.message}`);
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("spilling onto a full disk", () => {
  let disk: { dir: string; unmount(): void };
  let store: ArenaStore;
  let arenaFd: number;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lux-spill-full-"));
  const spillDir = (): string => path.join(disk.dir, "spill");

  before(async () => {
    disk = mountTmpfs(1.5 * MiB);
    const arena = path.join(work, "arena");
    store = await ArenaStore.open({ path: arena, capacity: 4 * MiB, spillDir: spillDir(), fullTimeoutMs: 5_000, spillWaitMs: 1_000, spillChunkBytes: 64 * 1024, pressureIntervalMs: 50 });
    arenaFd = fs.openSync(arena, "r+");
  });
  after(async () => {
    fs.closeSync(arenaFd);
    await store.close();
    disk.unmount();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Creates an object of 1 MiB filled with `byte`, writes and seals it. */
  async function put(id: string, byte: number): Promise<void> {
    const loc = await store.create(id, MiB, "owner", client);
    fs.writeSync(arenaFd, Buffer.alloc(MiB, byte), 0, MiB, loc.offset);
    store.seal(id);
  }

  async function readBack(id: string): Promise<Buffer> {
    const loc = await store.get(id, client);
    assert.ok(loc !== undefined, `object ${id} is in the store`);
    try {
      return await store.read(id, 0, loc.size);
    } finally {
      store.release(id, client);
    }
  }

  test("the create that cannot fit fails with ObjectStoreFullError naming the spill folder; stored objects stay readable", async () => {
    for (const [i, id] of ["a", "b", "c", "d"].entries()) await put(id, i + 1);
    await put("e", 5); // room made by spilling a (1 MiB of the 1.5 MiB disk)
    assert.deepEqual(fs.readdirSync(spillDir()), ["a"]);

    await assert.rejects(put("f", 6), (e: unknown) => {
      assert.ok(e instanceof ObjectStoreFullError, `got ${String(e)}`);
      assert.equal(e.spillDir, spillDir());
      assert.ok(typeof e.spillDirFreeBytes === "number" && e.spillDirFreeBytes < MiB, `free bytes: ${e.spillDirFreeBytes}`);
      assert.match(e.message, new RegExp(`spill folder ${spillDir()} has \\d+ bytes`));
      return true;
    });
    assert.deepEqual(fs.readdirSync(spillDir()), ["a"], "no partial spill file stays");
    assert.equal(store.has("f"), false);

    for (const [i, id] of ["b", "c", "d", "e"].entries()) {
      assert.ok((await readBack(id)).equals(Buffer.alloc(MiB, i + 2)), `object ${id} reads back intact`);
    }
    store.free("e");
    assert.ok((await readBack("a")).equals(Buffer.alloc(MiB, 1)), "the spilled object is restored intact");
    assert.deepEqual(fs.readdirSync(spillDir()), ["a"], "it keeps its file: moving it out again costs no write");
  });

  test("the spill files kept for restored objects are deleted when the disk is needed", async () => {
    // The store holds b, c, d and a (restored, its file kept): the disk has room for no other file.
    await put("f", 6); // spills b: the write fails, a's kept file goes, the write is tried again
    assert.deepEqual(fs.readdirSync(spillDir()), ["b"]);
    assert.ok((await readBack("f")).equals(Buffer.alloc(MiB, 6)));
    store.free("f");
    assert.ok((await readBack("b")).equals(Buffer.alloc(MiB, 2)), "b is restored intact, into f's room");
  });

  test("once space is freed, creates succeed again", async () => {
    store.free("c");
    await put("g", 7);
    assert.ok((await readBack("g")).equals(Buffer.alloc(MiB, 7)));
  });
});
