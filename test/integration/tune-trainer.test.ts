/**
 * A DataParallelTrainer as a Tune trainable (issue 20, point 1): its space under
 * `trainLoopConfig`, each trial a run of the trainer with the trial's config (its workers the
 * trial's actors), rank 0's reports the trial's results and the trainer's checkpoints the
 * trial's; ASHA stops a trial's run (its workers and placement group go) at the report it
 * decided on; a worker's failure ends the trial in ERROR, or with maxFailures starts its next
 * run from the trial's latest checkpoint.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import * as tune from "@lux/tune";
import { loopStarts, tunedLoop, type LoopConfig } from "./fixtures/tune-train-defs.js";
import { waitFor } from "./helpers.js";

let dir = "";

before(async () => {
  await lux.init({ numCpus: 2 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-trainer-"));
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("trials of a trainer: the trial's trainLoopConfig merged over the trainer's, rank 0's reports, checkpoints in the trial's folder, ASHA's stop ends the run", async () => {
  const trainer = new train.DataParallelTrainer<LoopConfig>(tunedLoop, {
    trainLoopConfig: { lr: 1, epochs: 4 },
    scalingConfig: { numWorkers: 2, resourcesPerWorker: { CPU: 0.5 } },
  });
  const grid = await new tune.Tuner(trainer, {
    paramSpace: { trainLoopConfig: { lr: tune.gridSearch([1, 0.1, 10]) } },
    tuneConfig: { metric: "loss", mode: "min", maxConcurrentTrials: 1, scheduler: new tune.ASHAScheduler({ maxT: 4, gracePeriod: 1, reductionFactor: 2 }) },
    runConfig: { storagePath: dir, name: "trainer", verbose: 0 },
  }).fit();
  assert.equal(grid.numTerminated, 3);
  // lr 0.1's first loss (10) is worse than lr 1's (1): ASHA stops it at its first report.
  assert.deepEqual([...grid].map((r) => r.metrics["trainingIteration"]), [4, 1, 4]);
  for (const r of grid) {
    const lr = (r.config["trainLoopConfig"] as { lr: number }).lr;
    assert.deepEqual(r.metricsHistory.map((m) => [m["epoch"], m["rank"], m["loss"]]), r.metricsHistory.map((_, e) => [e, 0, 1 / (lr * (e + 1))]));
    assert.match(path.basename(r.path), /^DataParallelTrainer_\w+_\d{5}$/);
    const checkpoints = fs.readdirSync(r.path).filter((f) => f.startsWith("checkpoint_")).sort();
    assert.equal(checkpoints.length, r.metricsHistory.length);
    assert.equal(r.checkpoint?.path, path.join(r.path, checkpoints.at(-1) as string));
    assert.equal(fs.readFileSync(path.join(r.checkpoint.path, "epoch"), "utf8"), String(r.metricsHistory.length - 1));
  }
  await waitFor(async () => (await lux.placementGroupTable()).every((g) => g.state === "REMOVED"), "every trial's worker group gone");
});

test("a worker that throws: the trial is ERROR (TrainingFailedError, the worker's error its cause's) and the other finishes; with maxFailures 1 its next run resumes from its latest checkpoint", async () => {
  const run = async (name: string, maxFailures: number): Promise<tune.ResultGrid<{ trainLoopConfig: { lr: number } }>> => {
    const storagePath = path.join(dir, name);
    fs.mkdirSync(storagePath);
    const trainer = new train.DataParallelTrainer<LoopConfig>(tunedLoop, {
      // Rank 1 of lr 1's trial throws at epoch 2, once.
      trainLoopConfig: { lr: 1, epochs: 4, dir: storagePath, failAt: 2, failLr: 1 },
      scalingConfig: { numWorkers: 2, resourcesPerWorker: { CPU: 0.5 } },
    });
    return new tune.Tuner(trainer, {
      paramSpace: { trainLoopConfig: { lr: tune.gridSearch([1, 2]) } },
      tuneConfig: { metric: "loss", mode: "min" },
      runConfig: { storagePath, name, verbose: 0, failureConfig: { maxFailures } },
    }).fit();
  };
  const failed = await run("fails", 0);
  assert.deepEqual([failed.numErrors, failed.numTerminated], [1, 1]);
  const error = failed.get(0).error;
  assert.ok(error instanceof lux.TrainingFailedError, String(error?.stack));
  assert.ok(error.cause instanceof lux.WorkerGroupError);
  const rank1 = error.cause.errors.get(1);
  assert.equal(rank1?.name, "LoopError");
  assert.match(rank1?.message ?? "", /^rank 1 failed at epoch 2 of DataParallelTrainer_\w+_00000$/);
  assert.deepEqual(failed.get(0).metricsHistory.map((m) => m["epoch"]), [0, 1]);
  assert.equal(failed.get(1).error, undefined);
  assert.equal(failed.get(1).metrics["trainingIteration"], 4);

  const storagePath = path.join(dir, "restarts");
  const restarted = await run("restarts", 1);
  assert.equal(restarted.numTerminated, 2);
  const first = restarted.get(0);
  assert.deepEqual(first.metricsHistory.map((m) => [m["trainingIteration"], m["epoch"]]), [[1, 0], [2, 1], [3, 2], [4, 3]]);
  const starts = loopStarts(storagePath, path.basename(first.path));
  assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[0, null], [2, path.join(first.path, "checkpoint_000001")]]);
  assert.deepEqual(fs.readdirSync(first.path).filter((f) => f.startsWith("checkpoint_")).sort(), [0, 1, 2, 3].map((i) => `checkpoint_00000${i}`));
  assert.equal(first.checkpoint?.path, path.join(first.path, "checkpoint_000003"));
  assert.equal(loopStarts(storagePath, path.basename(restarted.get(1).path)).length, 1, "the other trial ran once");
  await waitFor(async () => (await lux.placementGroupTable()).every((g) => g.state === "REMOVED"), "every trial's worker group gone");
});
