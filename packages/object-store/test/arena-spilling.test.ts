/**
 * Making room in a full store (issue 13, point 5). Objects only referenced by their owner
 * (sealed, read by no one) are spilled for the creates that wait, all of them in one round
 * and in order, without waiting for a garbage-collection round (the FakeClock never moves
 * here); an object becomes spillable the moment it is sealed or its last view is released.
 * A synchronous create (createSoon) waits for spilling only when spilling can make the room.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { ArenaStore } from "../src/arena-store.js";

const KiB = 1024;
const SIZE = 64 * KiB;
/** Guards the tests that must finish without the clock moving: the old store waited for a pressure round. */
const GUARD = { timeout: 10_000 };

describe("ArenaStore making room", () => {
  let dir: string;
  let store: ArenaStore;
  let fd: number;
  const clock = new FakeClock();
  const owner = { name: "owner's connection" };
  const reader = { name: "reader's connection" };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-arena-spilling-"));
    const arena = path.join(dir, "arena");
    store = await ArenaStore.open({
      path: arena,
      capacity: 4 * SIZE,
      spillDir: path.join(dir, "spill"),
      fullTimeoutMs: 1_000,
      spillWaitMs: 500,
      spillChunkBytes: 16 * KiB,
      pressureIntervalMs: 100,
      clock,
    });
    fd = fs.openSync(arena, "r+");
  });
  afterEach(async () => {
    fs.closeSync(fd);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (offset: number, byte: number): void => {
    fs.writeSync(fd, Buffer.alloc(SIZE, byte), 0, SIZE, offset);
  };
  async function put(id: string, byte: number): Promise<void> {
    const at = await store.create(id, SIZE, "owner", owner);
    write(at.offset, byte);
    store.seal(id);
  }
  async function readBack(id: string): Promise<number> {
    const at = await store.get(id, reader);
    assert.ok(at !== undefined, `${id} is in the store`);
    const bytes = await store.read(id, 0, SIZE);
    store.release(id, reader);
    assert.ok(bytes.every((b) => b === bytes[0]), `${id} reads back whole`);
    return bytes[0] as number;
  }
  const waitForGone = async (file: string): Promise<void> => {
    for (let i = 0; i < 1000 && fs.existsSync(file); i++) await new Promise((r) => setImmediate(r));
    assert.equal(fs.existsSync(file), false, `${file} is deleted`);
  };
  const spilled = (): string[] => fs.readdirSync(path.join(dir, "spill")).sort();

  test("twelve creates queued at once in a store of four are all served in one round of spilling", GUARD, async () => {
    for (let i = 0; i < 4; i++) await put(`o${i}`, i);
    // Each waiter writes and seals as soon as it is served, like a staged put.
    await Promise.all(Array.from({ length: 12 }, (_, k) => put(`o${k + 4}`, k + 4)));
    assert.equal(spilled().length, 12, "the twelve least recently used went to disk");
    for (let i = 0; i < 16; i++) assert.equal(await readBack(`o${i}`), i);
  });

  test("an object sealed while creates wait is spilled for them at once", GUARD, async () => {
    const writing = await Promise.all([0, 1, 2, 3].map((i) => store.create(`w${i}`, SIZE, "owner", owner)));
    const waiting = store.create("next", SIZE, "owner", owner);
    write(writing[2]?.offset as number, 2);
    store.seal("w2");
    const at = await waiting;
    assert.equal(at.offset, writing[2]?.offset, "it got w2's region");
    assert.deepEqual(spilled(), ["w2"]);
  });

  test("an object whose last view is released while creates wait is spilled for them at once", GUARD, async () => {
    for (let i = 0; i < 4; i++) await put(`o${i}`, i);
    for (let i = 0; i < 4; i++) await store.get(`o${i}`, reader);
    const waiting = store.create("next", SIZE, "owner", owner);
    store.release("o1", reader);
    await waiting;
    assert.deepEqual(spilled(), ["o1"]);
    for (const i of [0, 2, 3]) store.release(`o${i}`, reader);
  });

  test("a restored object keeps its spill file: moved out again, it is not written again; freed, the file goes", GUARD, async () => {
    for (let i = 0; i < 5; i++) await put(`o${i}`, i); // o0 spilled
    const file = path.join(dir, "spill", "o0");
    const past = new Date(2000, 0, 1);
    fs.utimesSync(file, past, past);
    assert.equal(await readBack("o0"), 0); // restored (o1 spilled for it), its file kept
    assert.deepEqual(spilled(), ["o0", "o1"]);
    for (let i = 5; i < 9; i++) await put(`o${i}`, i); // the store holds these four only: o0 was moved out again
    assert.equal(fs.statSync(file).mtime.getTime(), past.getTime(), "o0's file was not written again");
    assert.equal(await readBack("o0"), 0);
    store.free("o0");
    await waitForGone(file);
  });

  test("createSoon waits for a spill when spilling can make the room", GUARD, async () => {
    for (let i = 0; i < 4; i++) await put(`o${i}`, i);
    const at = await store.createSoon("soon", SIZE, "owner", owner);
    assert.ok(at !== undefined && at.offset >= 0, "created once o0 was spilled");
    assert.deepEqual(spilled(), ["o0"]);
  });

  test("createSoon answers at once, without waiting, when the rest is read or being written", GUARD, async () => {
    for (let i = 0; i < 2; i++) await put(`o${i}`, i);
    for (let i = 0; i < 2; i++) await store.get(`o${i}`, reader);
    await store.create("w2", SIZE, "owner", owner);
    await store.create("w3", SIZE, "owner", owner);
    assert.equal(await store.createSoon("soon", SIZE, "owner", owner), undefined);
    assert.deepEqual(spilled(), []);
    assert.equal(store.has("soon"), false);
  });

  test("createSoon that spilled all it could without making the room in one piece answers undefined", GUARD, async () => {
    for (let i = 0; i < 4; i++) await put(`o${i}`, i);
    await store.get("o1", reader);
    await store.get("o3", reader);
    // o0 and o2 can be spilled (two regions' worth), but o1 is read between them: no two in one piece.
    assert.equal(await store.createSoon("two", 2 * SIZE, "owner", owner), undefined);
    assert.deepEqual(spilled(), ["o0", "o2"]);
    assert.equal(store.has("two"), false);
    const at = await store.create("one", SIZE, "owner", owner);
    assert.ok(at.offset >= 0, "no waiter was left behind: the next create is served");
    store.release("o1", reader);
    store.release("o3", reader);
  });
});
