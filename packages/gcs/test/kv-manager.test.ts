/** The control service's KV: Lux's own table and lux.util.kv's namespaces, with their limits. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidRequestError } from "@lux/common";
import { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES } from "@lux/protocol";
import { KvManager } from "../src/kv-manager.js";
import { MemoryStorage } from "../src/storage.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("KvManager", () => {
  it("put reports whether the key was new, with and without overwrite", async () => {
    const kv = new KvManager(new MemoryStorage());
    assert.deepEqual(await kv.put({ key: "k", value: bytes("1"), overwrite: true, namespace: "a" }), { added: true });
    assert.deepEqual(await kv.put({ key: "k", value: bytes("2"), overwrite: true, namespace: "a" }), { added: false });
    assert.deepEqual(await kv.put({ key: "k", value: bytes("3"), overwrite: false, namespace: "a" }), { added: false });
    assert.deepEqual(await kv.get({ key: "k", namespace: "a" }), { value: bytes("2") });
  });

  it("namespaces and Lux's own table are apart; del, exists and keys(prefix) stay in theirs", async () => {
    const kv = new KvManager(new MemoryStorage());
    await kv.put({ key: "fn:1", value: bytes("internal"), overwrite: false });
    await kv.put({ key: "fn:1", value: bytes("user"), overwrite: true, namespace: "a" });
    await kv.put({ key: "fn:2", value: bytes("user"), overwrite: true, namespace: "a" });
    await kv.put({ key: "x", value: bytes("b"), overwrite: true, namespace: "b" });
    assert.deepEqual(await kv.get({ key: "fn:1" }), { value: bytes("internal") });
    assert.deepEqual((await kv.keys({ prefix: "fn:", namespace: "a" })).keys.sort(), ["fn:1", "fn:2"]);
    assert.deepEqual(await kv.keys({ prefix: "", namespace: "b" }), { keys: ["x"] });
    assert.deepEqual(await kv.keys({ prefix: "", namespace: "none" }), { keys: [] });
    assert.deepEqual(await kv.exists({ key: "x", namespace: "a" }), { exists: false });
    assert.deepEqual(await kv.del({ key: "fn:1", namespace: "a" }), { deleted: true });
    assert.deepEqual(await kv.del({ key: "fn:1", namespace: "a" }), { deleted: false });
    assert.deepEqual(await kv.exists({ key: "fn:1" }), { exists: true }, "Lux's own entry is untouched");
  });

  it("refuses namespaced keys and values over the limits (a peer that skipped the client's check)", async () => {
    const kv = new KvManager(new MemoryStorage());
    const longKey = "k".repeat(KV_MAX_KEY_BYTES + 1);
    await assert.rejects(kv.put({ key: longKey, value: bytes("v"), overwrite: true, namespace: "a" }), InvalidRequestError);
    await assert.rejects(kv.get({ key: longKey, namespace: "a" }), /over the limit of 1024/);
    const big = new Uint8Array(KV_MAX_VALUE_BYTES + 1);
    await assert.rejects(kv.put({ key: "big", value: big, overwrite: true, namespace: "a" }), /value: 16777217 bytes/);
    // Lux's own table has no such limits (runtime-env packages are larger).
    assert.deepEqual(await kv.put({ key: "pkg", value: big, overwrite: false }), { added: true });
  });
});
