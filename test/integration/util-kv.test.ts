/**
 * Issue 15 point 10: `lux.util.kv`, the control service's key-value store: put (whether the
 * key was new, overwrite), get (bytes or undefined), del, exists, keys(prefix) (full keys);
 * namespaces keep jobs apart (default: the job's); keys over 1 KiB and values over 16 MiB
 * throw before anything is sent. Surviving a control-service restart on Redis: gcs-restart.test.ts.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as lux from "lux";
import { kvInTask } from "./fixtures/util-defs.js";
import { fixtures, runScript, withCluster } from "./helpers.js";

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

test("before init, kv calls throw NotInitializedError naming the call", async () => {
  await assert.rejects(lux.util.kv.get("x"), (e: unknown) => e instanceof lux.NotInitializedError && /^lux\.util\.kv\.get\(\) was called/.test(e.message));
  await assert.rejects(lux.util.kv.keys(), lux.NotInitializedError);
});

describe("lux.util.kv", () => {
  const suite = withCluster({ head: { numCpus: 1 } }, (c) => lux.init({ address: c.address, namespace: "kv-test" }).then(() => undefined));

  test("put says whether the key was new; get returns the bytes stored, undefined for a missing key", async () => {
    assert.equal(await lux.util.kv.put("greeting", "hello"), true);
    assert.equal(text(await lux.util.kv.get("greeting")), "hello");
    assert.equal(await lux.util.kv.put("greeting", "hello again"), false, "not new");
    assert.equal(text(await lux.util.kv.get("greeting")), "hello again", "overwritten by default");
    assert.equal(await lux.util.kv.put("greeting", "ignored", { overwrite: false }), false);
    assert.equal(text(await lux.util.kv.get("greeting")), "hello again", "overwrite: false keeps the value");
    const bytes = new Uint8Array([0, 1, 2, 255]);
    assert.equal(await lux.util.kv.put("raw", bytes), true);
    const got = await lux.util.kv.get("raw");
    assert.ok(got instanceof Uint8Array);
    assert.deepEqual([...got], [0, 1, 2, 255]);
    assert.equal(got.buffer.byteLength, 4, "a buffer of its own, not a view of a larger one");
    assert.equal(await lux.util.kv.get("missing"), undefined);
  });

  test("exists, del and keys(prefix) with full keys", async () => {
    for (const k of ["job/1", "job/2", "job/3", "other"]) await lux.util.kv.put(k, k);
    assert.deepEqual(await lux.util.kv.keys("job/"), ["job/1", "job/2", "job/3"]);
    assert.ok((await lux.util.kv.keys()).includes("other"), "no prefix: every key");
    assert.equal(await lux.util.kv.exists("job/2"), true);
    assert.equal(await lux.util.kv.del("job/2"), true);
    assert.equal(await lux.util.kv.del("job/2"), false, "already gone");
    assert.equal(await lux.util.kv.exists("job/2"), false);
    assert.equal(await lux.util.kv.get("job/2"), undefined);
    assert.deepEqual(await lux.util.kv.keys("job/"), ["job/1", "job/3"]);
  });

  test("namespaces keep keys apart; the default is the job's namespace, in its tasks too", async () => {
    await lux.util.kv.put("shared", "in kv-test");
    await lux.util.kv.put("shared", "in other", { namespace: "other" });
    assert.equal(text(await lux.util.kv.get("shared")), "in kv-test");
    assert.equal(text(await lux.util.kv.get("shared", { namespace: "kv-test" })), "in kv-test", "the job's namespace is the default");
    assert.equal(text(await lux.util.kv.get("shared", { namespace: "other" })), "in other");
    assert.deepEqual(await lux.util.kv.keys("", { namespace: "other" }), ["shared"]);
    assert.equal(await lux.util.kv.exists("greeting", { namespace: "other" }), false);
    assert.equal(await lux.util.kv.del("shared", { namespace: "other" }), true);
    assert.equal(text(await lux.util.kv.get("shared")), "in kv-test", "deleting in one namespace leaves the other");
    // A task of this job reads and writes the job's namespace.
    assert.equal(await lux.get(kvInTask.remote("shared")), "in kv-test");
    assert.equal(text(await lux.util.kv.get("shared-from-task")), "written by a task");
  });

  test("another job sees its own namespace, and this job's keys only by naming its namespace", async () => {
    await lux.util.kv.put("mine", "from the first job");
    const otherJob = path.join(fixtures, "util-kv-other-job.mjs");
    const { code, stdout, stderr } = await runScript(otherJob, { args: [suite.cluster.address, "mine", "kv-test"], loader: false, timeoutMs: 60_000 });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /default: none/);
    assert.match(stdout, /named: from the first job/);
  });

  test("a key over 1 KiB or a value over 16 MiB throws before sending, naming the limit; bad arguments throw", async () => {
    const longKey = "k".repeat(1025);
    await assert.rejects(lux.util.kv.put(longKey, "v"), (e: unknown) => e instanceof RangeError && /1025 bytes.*limit of 1 KiB/.test(e.message));
    await assert.rejects(lux.util.kv.get(longKey), RangeError);
    await assert.rejects(lux.util.kv.put("é".repeat(513), "v"), /1026 bytes \(UTF-8\)/, "the limit counts UTF-8 bytes");
    assert.equal(await lux.util.kv.put("k".repeat(1024), "fits"), true, "1 KiB exactly fits");
    const big = new Uint8Array(16 * 1024 * 1024 + 1);
    await assert.rejects(lux.util.kv.put("big", big), (e: unknown) => e instanceof RangeError && /limit of 16 MiB/.test(e.message));
    assert.equal(await lux.util.kv.put("big", big.subarray(1)), true, "16 MiB exactly fits");
    assert.equal((await lux.util.kv.get("big"))?.byteLength, 16 * 1024 * 1024);
    await assert.rejects(lux.util.kv.put(42 as never, "v"), TypeError);
    await assert.rejects(lux.util.kv.put("k", 42 as never), TypeError);
    await assert.rejects(lux.util.kv.get("k", { namespace: "" }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "namespace");
  });
});
