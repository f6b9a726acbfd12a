/**
 * lux.init() starts no processes itself: it asks the launcher the `lux` package registers
 * (@lux/launcher). Without one (core used alone), init fails with a coded error; with one,
 * it passes the private cluster what it needs. A fake launcher stands in, so no process starts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NoLauncherError } from "@lux/common";
import { init, isInitialized } from "../src/index.js";
import { setClusterLauncher, workerMainPath, type ClusterLauncher } from "../src/internal.js";

type PrivateClusterOptions = Parameters<ClusterLauncher["startPrivateCluster"]>[0];

// Runs first: nothing has registered a launcher in this process yet.
test("without a registered launcher, init() fails with NoLauncherError for a private cluster and for address auto", async () => {
  for (const [options, need] of [
    [{ address: "" }, /start a private cluster/],
    [{ address: "auto" }, /find the cluster `lux start` started/],
  ] as const) {
    await assert.rejects(init(options), (e: unknown) => {
      assert.ok(e instanceof NoLauncherError, `got ${String(e)}`);
      assert.equal(e.code, "LUX_NO_LAUNCHER");
      assert.match(e.message, need);
      assert.match(e.message, /Import Lux from the "lux" package/);
      return true;
    });
    assert.equal(isInitialized(), false);
  }
});

test("init() asks the registered launcher for a private cluster whose workers run core's worker entry", async () => {
  const asked: PrivateClusterOptions[] = [];
  const refused = new Error("fake launcher: no cluster");
  setClusterLauncher({
    startPrivateCluster: (options) => {
      asked.push(options);
      return Promise.reject(refused);
    },
    autoAddress: () => undefined,
  });
  await assert.rejects(init({ address: "", numCpus: 2, resources: { special: 1 } }), (e) => e === refused);
  assert.equal(asked.length, 1);
  const [options] = asked as [PrivateClusterOptions];
  assert.equal(options.workerMain, workerMainPath);
  assert.match(workerMainPath, /[/\\]worker-main\.js$/);
  assert.equal(options.numCpus, 2);
  assert.equal(options.numGpus, undefined, "no numGpus: the raylet finds the GPUs with nvidia-smi");
  assert.deepEqual(options.resources, { special: 1 });
  assert.deepEqual(options.labels, {});
  // The driver's first worker starts with the cluster (the early first worker).
  assert.equal(options.prestartJob?.cwd, process.cwd());
  assert.ok((options.prestartJob?.jobId ?? "") !== "");
  assert.equal(isInitialized(), false);
});

test("address auto takes the registered launcher's answer", async () => {
  let lookups = 0;
  setClusterLauncher({
    startPrivateCluster: () => Promise.reject(new Error("not asked for one")),
    autoAddress: () => {
      lookups++;
      return undefined;
    },
  });
  await assert.rejects(init({ address: "auto" }), /no cluster started by `lux start` runs on this machine/);
  assert.equal(lookups, 1);
});
