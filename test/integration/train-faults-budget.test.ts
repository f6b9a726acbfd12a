/**
 * Failures of a training run past its budget and of its driver (issue 19, point 6), on a real
 * cluster: fit() rejects with TrainingFailedError whose cause maps rank → error (a user error
 * with its name, message and remote stack, ActorDiedError for a dead process). A killed driver
 * takes its workers with it, and a new fit() with resumeFromCheckpoint continues.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { epochLoop, recorded, type EpochConfig } from "./fixtures/train-defs.js";
import { tempDirs, trainer, type Start } from "./fixtures/train-faults-setup.js";
import { fixtures, pidAlive, startScript, waitFor, withCluster } from "./helpers.js";

const env = withCluster({ head: { numCpus: 4 } });
const tempDir = tempDirs("lux-train-budget-");

describe("past maxFailures", () => {
  test("maxFailures 0 (the default): TrainingFailedError, cause WorkerGroupError mapping rank 1 to its own error with name, message and remote stack", async () => {
    const storagePath = tempDir();
    const e = await trainer({ epochs: 3, dir: storagePath, failRank: 1, failEpoch: 1 }, "budget", 0).fit().then(
      () => assert.fail("fit() resolved"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof train.TrainingFailedError, String(e));
    assert.ok(e instanceof lux.LuxError && e.cause instanceof lux.LuxError, "LuxErrors");
    assert.equal(e.code, "LUX_TRAIN_FAILED");
    assert.equal(e.name, "TrainingFailedError");
    assert.equal(e.runName, "budget");
    assert.equal(e.failures, 1);
    assert.equal(e.maxFailures, 0);
    assert.match(e.message, /training run "budget" failed: its worker group failed 1 time and maxFailures is 0/);
    assert.ok(e.cause instanceof train.WorkerGroupError);
    assert.deepEqual([...e.cause.errors.keys()], [1]);
    const err = e.cause.errors.get(1);
    assert.equal(err?.name, "BadBatchError");
    assert.equal(err?.message, "batch 1 of rank 1 is bad");
    assert.match(err?.stack ?? "", /train-defs\.ts/, "the remote stack");
    assert.match(e.cause.message, /rank 1: BadBatchError: batch 1 of rank 1 is bad/);
  });

  test("a budget of 1 and two failures: rejects after the second, with failures 2; a dead process is ActorDiedError", async () => {
    const storagePath = tempDir();
    const e = await trainer({ epochs: 3, dir: storagePath, failRank: 0, failEpoch: 1, failTimes: 2, failHow: "exit" }, "two", 1).fit().then(
      () => assert.fail("fit() resolved"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof train.TrainingFailedError, String(e));
    assert.equal(e.failures, 2);
    assert.ok(e.cause instanceof train.WorkerGroupError);
    assert.equal(e.cause.errors.get(0)?.name, "ActorDiedError", e.cause.message);
  });
});

describe("a dead driver", () => {
  test("killing the driver ends its workers; a new fit() with resumeFromCheckpoint continues from it", async () => {
    const storagePath = tempDir();
    const config: EpochConfig = { epochs: 4, dir: storagePath, holdAt: 2 };
    const driver = startScript(path.join(fixtures, "train-driver.ts"), { env: { LUX_ADDRESS: env.cluster.address }, args: [JSON.stringify(config)] });
    try {
      const runPath = path.join(storagePath, "driven");
      await waitFor(() => recorded(storagePath, "after", 0).length === 2 && recorded(storagePath, "after", 1).length === 2, "two reports", 60_000);
      const pids = [0, 1].map((r) => recorded<Start>(storagePath, "start", r)[0]?.pid as number);
      assert.ok(pids.every(pidAlive));
      driver.kill("SIGKILL");
      await driver.exited();
      await waitFor(() => !pids.some(pidAlive), "the workers to end with their driver", 60_000);

      fs.writeFileSync(path.join(storagePath, "release"), "");
      const latest = train.Checkpoint.fromDirectory(path.join(runPath, "checkpoint_000001"));
      const result = await new train.DataParallelTrainer(epochLoop, {
        trainLoopConfig: config,
        scalingConfig: { numWorkers: 2 },
        runConfig: { name: "driven", storagePath },
        resumeFromCheckpoint: latest,
      }).fit();
      assert.deepEqual(result.metricsHistory.map((m) => m["epoch"]), [2, 3]);
      assert.deepEqual(recorded<Start>(storagePath, "start", 0).map((s) => [s.start, s.restored]), [[0, null], [2, latest.path]]);
    } finally {
      driver.kill("SIGKILL");
      await driver.exited();
    }
  });
});
