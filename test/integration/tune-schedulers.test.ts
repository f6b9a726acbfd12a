/**
 * @lux/tune's schedulers on a real cluster (issue 20, point 4): ASHA's rungs are exact (a report
 * waits for the scheduler's decision, so a trial told to stop never reports again), HyperBand's
 * synchronous brackets pause trials and continue the best from their checkpoints, the median
 * rule stops trials below the median, and PBT's exploit continues a bottom trial from a top
 * trial's checkpoint with the mutated config.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import * as tune from "@lux/tune";
import { curve, recorded, type StartRecord } from "./fixtures/tune-defs.js";

let dir = "";

before(async () => {
  await lux.init({ numCpus: 2 });
});

after(async () => {
  await lux.shutdown();
});

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-sched-"));
  return dir;
}

function iterations(grid: tune.ResultGrid<Record<string, unknown>>): number[] {
  return [...grid].map((r) => r.metrics["trainingIteration"] as number);
}

function resultLines(r: tune.Result): tune.TrialResult[] {
  return fs.readFileSync(path.join(r.path, "result.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as tune.TrialResult);
}

describe("ASHAScheduler", () => {
  test("rungs at 1, 3, 9 (reductionFactor 3): each trial stops exactly where the cutoff says, and reports no more", async () => {
    const storagePath = tempDir();
    const scheduler = new tune.ASHAScheduler({ maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    assert.deepEqual(scheduler.milestones, [[1, 3, 9]]);
    const grid = await new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 20, rate: tune.gridSearch([3, 1, 4, 1.5, 5, 2, 3.5]) },
      tuneConfig: { metric: "score", mode: "max", scheduler, maxConcurrentTrials: 1 },
      runConfig: { storagePath, name: "asha", verbose: 0 },
    }).fit();
    // Rung 1's cutoff is the 66.7th percentile of the scores recorded there before: 1 < 3, 1.5 < 3.33, 2 < 3.67 stop;
    // 3.5 passes rung 1 (cutoff 3.33) and stops at rung 3 (cutoff 4.33 of 3, 4, 5); the others stop at maxT.
    const expected = [9, 1, 9, 1, 9, 1, 3];
    assert.deepEqual(iterations(grid), expected);
    assert.equal(grid.numTerminated, 7);
    [...grid].forEach((r, i) => {
      const id = r.metrics["trialId"] as string;
      assert.equal(resultLines(r).length, expected[i], `${id}: a result per report`);
      assert.equal(recorded(storagePath, "returned", id).length, (expected[i] as number) - 1, `${id}: the report told to stop never returned`);
    });
  });
});

describe("HyperBandScheduler", () => {
  test("maxT 9, reductionFactor 3: a bracket of 9 trials for 1 iteration, the best 3 for 3, the best for 9; paused trials continue from their checkpoints", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 20, checkpoint: true, rate: tune.gridSearch([1, 2, 3, 4, 5, 6, 7, 8, 9]) },
      tuneConfig: { metric: "score", mode: "max", scheduler: new tune.HyperBandScheduler({ maxT: 9, reductionFactor: 3 }) },
      runConfig: { storagePath, name: "hyperband", verbose: 0 },
    }).fit();
    assert.deepEqual(iterations(grid), [1, 1, 1, 1, 1, 1, 3, 3, 9]);
    assert.equal(grid.numTerminated, 9);
    let resumed = 0;
    for (const r of grid) {
      const id = r.metrics["trialId"] as string;
      assert.deepEqual(resultLines(r).map((l) => l.trainingIteration), Array.from({ length: r.metrics["trainingIteration"] as number }, (_, i) => i + 1), `${id}: each iteration once`);
      const starts = recorded<StartRecord>(storagePath, "start", id);
      for (const s of starts.slice(1)) {
        resumed++;
        assert.ok(s.restored !== null && path.dirname(s.restored) === r.path, `${id} continued from its own checkpoint: ${String(s.restored)}`);
        assert.equal(s.start, Number(fs.readFileSync(path.join(s.restored, "iter"), "utf8")) + 1);
      }
    }
    assert.ok(resumed >= 2, `paused trials were continued (${resumed} continuations)`);
  });
});

describe("MedianStoppingRule", () => {
  test("a trial whose best is below the median of the others' running means stops (gracePeriod 1, minSamplesRequired 2)", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 3, rate: tune.gridSearch([5, 4, 3, 1]) },
      tuneConfig: { metric: "score", mode: "max", scheduler: new tune.MedianStoppingRule({ gracePeriod: 1, minSamplesRequired: 2 }), maxConcurrentTrials: 1 },
      runConfig: { storagePath, name: "median", verbose: 0 },
    }).fit();
    assert.deepEqual(iterations(grid), [3, 3, 1, 1]);
  });
});

describe("PopulationBasedTraining", () => {
  test("the bottom trial continues from the top trial's checkpoint (copied into its folder) with the top's config, mutated", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(tune.withResources(curve, { CPU: 0.5 }), {
      paramSpace: {
        dir: storagePath,
        checkpoint: true,
        rate: tune.gridSearch([1, 2, 3, 4]),
        // The bottom trial is slow, so the others have scores when it reaches a perturbation.
        delayMs: tune.sampleFrom((spec) => (spec.config["rate"] === 1 ? 300 : 100)),
        iterations: 25,
      },
      tuneConfig: {
        metric: "score",
        mode: "max",
        seed: 3,
        scheduler: new tune.PopulationBasedTraining({ perturbationInterval: 2, hyperparamMutations: { rate: [1, 2, 3, 4] }, resampleProbability: 0 }),
      },
      runConfig: { storagePath, name: "pbt", verbose: 0 },
    }).fit();
    assert.equal(grid.numTerminated, 4);
    const bottom = grid.get(0);
    const bottomId = bottom.metrics["trialId"] as string;
    const others = [1, 2, 3].map((i) => grid.get(i).metrics["trialId"] as string);
    const lines = resultLines(bottom);
    const restarts = recorded<StartRecord>(storagePath, "start", bottomId).slice(1);
    assert.ok(restarts.length >= 1, `trial ${bottomId} (the bottom) was exploited`);
    for (const s of restarts) {
      const restored = s.restored as string;
      assert.equal(path.dirname(restored), bottom.path, "the top's checkpoint copied into the bottom trial's folder");
      assert.ok(others.includes(fs.readFileSync(path.join(restored, "origin"), "utf8")), "made by another trial");
      assert.equal(s.start, Number(fs.readFileSync(path.join(restored, "iter"), "utf8")) + 1, "it goes on from the copied checkpoint's iteration");
      assert.ok(lines.some((l) => l.trainingIteration === s.start), "its results go on from there");
      const config = s.config as { rate: number; delayMs: number };
      assert.ok(config.rate >= 2, `a top trial's rate moved to a neighbour in [1, 2, 3, 4]: ${config.rate}`);
      assert.equal(config.delayMs, 100, "the rest of the top's config");
    }
    assert.equal(bottom.config["rate"], lines.at(-1)?.["score"], "the result's config is the one it ended with");
  });
});
