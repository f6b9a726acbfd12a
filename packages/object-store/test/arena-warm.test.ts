/**
 * A client's new objects go where it wrote objects before, when that space is free (its own
 * mapping of the arena already touched those pages: see WarmRanges), before lower free space
 * another client wrote; a client that is gone has no such preference left.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { ArenaStore } from "../src/arena-store.js";

const SIZE = 64 * 1024;

describe("ArenaStore placing a client's objects where it wrote before", () => {
  let dir: string;
  let store: ArenaStore;
  const a = { name: "worker A's connection" };
  const b = { name: "worker B's connection" };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-arena-warm-"));
    store = await ArenaStore.open({
      path: path.join(dir, "arena"),
      capacity: 8 * SIZE,
      spillDir: path.join(dir, "spill"),
      fullTimeoutMs: 1_000,
      spillWaitMs: 500,
      spillChunkBytes: 16 * 1024,
      pressureIntervalMs: 100,
      clock: new FakeClock(),
    });
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function put(id: string, client: object, sync = false): Promise<number> {
    const at = sync ? await store.createSoon(id, SIZE, "owner", client) : await store.create(id, SIZE, "owner", client);
    assert.ok(at !== undefined);
    store.seal(id);
    return at.offset;
  }

  test("freed space a client wrote is its next object's, before lower space another client wrote", async () => {
    assert.equal(await put("a1", a), 0);
    assert.equal(await put("a-kept", a), SIZE);
    assert.equal(await put("b1", b), 2 * SIZE);
    store.free("a1");
    store.free("b1");
    assert.equal(await put("b2", b), 2 * SIZE, "B's own space, not the lower space A wrote");
    assert.equal(await put("a2", a, true), 0, "and A's (createSoon too)");
    store.free("a2");
    assert.equal(await put("b3", b), 0, "B's space is taken: the lowest free space");
  });

  test("a client that is gone leaves no preference: its space is first fit again", async () => {
    assert.equal(await put("a1", a), 0);
    assert.equal(await put("a-kept", a), SIZE);
    assert.equal(await put("b1", b), 2 * SIZE);
    store.free("b1");
    store.free("a1");
    store.clientGone(b);
    assert.equal(await put("b2", b), 0);
  });
});
