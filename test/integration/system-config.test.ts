/**
 * Issue 12 point 4: `lux.init({ systemConfig })` configures a private cluster (its control
 * service, raylet and workers) and the driver itself, until `lux.shutdown()`; entries are
 * validated before anything starts.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as lux from "lux";
import { config } from "@lux/common";
import { pidAlive, waitFor } from "./helpers.js";

const keepOf = lux.remote(() => ({ pid: process.pid, keep: process.env["LUX_IDLE_WORKER_KEEP_MS"] ?? null }));

after(async () => {
  await lux.shutdown();
});

test("systemConfig reaches the private cluster's raylet and workers, and the driver until shutdown", async () => {
  const before = config("rpcTimeoutMs");
  await lux.init({ numCpus: 1, systemConfig: { idleWorkerKeepMs: 300, rpcTimeoutMs: 4321 } });
  try {
    assert.equal(config("rpcTimeoutMs"), 4321, "the driver runs with it");
    const worker = await lux.get(keepOf.remote());
    assert.equal(worker.keep, "300", "the raylet's workers inherit it");
    // The raylet stops its idle worker after 300 ms (by default it keeps it a minute).
    await waitFor(() => !pidAlive(worker.pid), "the idle worker to be stopped", 10_000);
  } finally {
    await lux.shutdown();
  }
  assert.equal(config("rpcTimeoutMs"), before, "shutdown puts the driver's config back");
});

test("an unknown systemConfig entry fails lux.init before anything starts, naming the nearest entry", async () => {
  await assert.rejects(
    lux.init({ numCpus: 1, systemConfig: { idleWorkerKeepMS: 300 } as never }),
    (e: unknown) => e instanceof lux.InvalidConfigError && e.code === "LUX_INVALID_CONFIG" && /did you mean idleWorkerKeepMs\?/.test(e.message),
  );
  await assert.rejects(lux.init({ systemConfig: { rpcTimeoutMs: 0 } }), /expected an integer >= 1/);
  assert.equal(lux.isInitialized(), false);
});

test("systemConfig is refused with the address of a running cluster", async () => {
  await assert.rejects(
    lux.init({ address: "127.0.0.1:1", systemConfig: { rpcTimeoutMs: 100 } }),
    (e: unknown) => e instanceof lux.InvalidOptionError && /lux start --system-config/.test(e.message),
  );
});
