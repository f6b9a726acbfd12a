/**
 * A copy still being written (an object pulled from another node) can be pinned while its
 * written bytes are sent on to a third node (pinCreating): if its creator gives up on it or
 * its owner frees it meanwhile, its region stays allocated until those sends release it, so
 * no other object is written where bytes are still being read.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { ArenaStore } from "../src/arena-store.js";

const SIZE = 64 * 1024;
let dir: string;
let store: ArenaStore;
const creator = { name: "the pull" };
const sending = { name: "a send from the copy" };

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-partial-pins-"));
  store = await ArenaStore.open({ path: path.join(dir, "arena"), capacity: 4 * SIZE, spillDir: path.join(dir, "spill"), fullTimeoutMs: 1000, spillWaitMs: 100, spillChunkBytes: SIZE, pressureIntervalMs: 1000 });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("an abandoned copy pinned by a send keeps its region until the send releases it", async () => {
  await store.create("x", SIZE, "owner", creator);
  assert.equal(store.pinCreating("x", creator, sending), true);
  assert.equal(store.pinCreating("x", { name: "not its creator" }, sending), false);
  store.clientGone(creator);
  assert.equal(store.isCreating("x", creator), false, "nobody writes it any more");
  assert.equal(await store.get("x", "reader"), undefined, "nobody can read it");
  assert.equal(store.stats().usedBytes, SIZE, "its region is still allocated");
  store.release("x", sending);
  assert.equal(store.has("x"), false);
  assert.equal(store.stats().usedBytes, 0);
});

test("a copy freed by its owner while a send reads it goes once the send is out; unpinned, at once", async () => {
  await store.create("x", SIZE, "owner", creator);
  store.pinCreating("x", creator, sending);
  store.free("x");
  assert.equal(store.isCreating("x", creator), false, "its writer stops");
  assert.equal(store.pinCreating("x", creator, { name: "another send" }), false, "no new send starts from it");
  assert.equal(store.stats().usedBytes, SIZE);
  store.release("x", sending);
  assert.equal(store.stats().usedBytes, 0);
  await store.create("y", SIZE, "owner", creator);
  store.clientGone(creator);
  assert.equal(store.has("y"), false, "an abandoned copy nobody reads is dropped at once");
});

test("a copy sealed while a send reads it stays pinned by that send until it is released", async () => {
  const at = await store.create("x", SIZE, "owner", creator);
  store.pinCreating("x", creator, sending);
  store.seal("x");
  assert.equal(store.pinnedRange("x", 10, 20, sending), at.offset + 10);
  store.release("x", sending);
  assert.throws(() => store.pinnedRange("x", 0, 1, sending), /not pinned/);
});
