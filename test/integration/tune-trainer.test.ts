/**
 * A DataParallelTrainer as a Tune trainable (issue 20, point 1): its space under
 * `trainLoopConfig`, each trial a run of the trainer with the trial's config (its workers the
 * trial's actors), rank 0's reports the trial's results and the trainer's checkpoints the
 * trial's; ASHA stops a trial's run (its workers and placement group go) at the report it
 * decided on.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import * as tune from "@lux/tune";
import { tunedLoop, type LoopConfig } from "./fixtures/tune-train-defs.js";
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
