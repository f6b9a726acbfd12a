/**
 * Failures in a Tune experiment on a real cluster (issue 20, points 7 and 8): a trainable that
 * throws sets its trial to ERROR and fit() still resolves (the error with its remote stack);
 * failFast rejects at the first error; maxFailures restarts a trial from its last checkpoint
 * after a throw or its actor's death, the other trials unaffected; a killed driver's experiment
 * goes on with Tuner.restore (finished trials are not run again, unfinished ones continue from
 * their last checkpoint), for a function trainable and for a DataParallelTrainer.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import * as tune from "@lux/tune";
import { loopStarts, tunedLoop, type LoopConfig } from "./fixtures/tune-train-defs.js";
import { curve, recorded, type CurveConfig, type StartRecord } from "./fixtures/tune-defs.js";
import { fixtures, startScript, waitFor, withCluster } from "./helpers.js";

const env = withCluster({ head: { numCpus: 2 } });
let dir = "";

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-faults-"));
  return dir;
}

function tuner(storagePath: string, name: string, failure: Partial<CurveConfig>, failureConfig: tune.FailureConfig): tune.Tuner<Record<string, unknown>> {
  return new tune.Tuner(curve, {
    // Trial 0 (rate 1) fails as told; trial 1 (rate 2) does not.
    paramSpace: { dir: storagePath, iterations: 3, checkpoint: true, rate: tune.gridSearch([1, 2]), failAt: tune.sampleFrom((s) => (s.config["rate"] === 1 ? (failure.failAt ?? 0) : 0)), failHow: failure.failHow ?? "throw", failTimes: failure.failTimes ?? 1 },
    tuneConfig: { metric: "score", mode: "max" },
    runConfig: { storagePath, name, verbose: 0, failureConfig },
  }) as tune.Tuner<Record<string, unknown>>;
}

describe("a trainable that fails", () => {
  test("throws: its trial is ERROR with the trainable's error (name, message, remote stack); fit() resolves; the other trial finishes", async () => {
    const storagePath = tempDir();
    const grid = await tuner(storagePath, "throws", { failAt: 2 }, {}).fit();
    assert.equal(grid.numErrors, 1);
    assert.equal(grid.numTerminated, 1);
    const failed = grid.get(0);
    assert.equal(failed.error?.name, "DivergedError");
    assert.match(failed.error?.message ?? "", /^loss diverged at iteration 2 of \w+_00000$/);
    assert.match(failed.error?.stack ?? "", /tune-defs\.ts/, "the remote stack");
    assert.deepEqual(grid.errors, [failed.error]);
    assert.equal(failed.metrics["trainingIteration"], 1);
    assert.equal(grid.get(1).error, undefined);
    assert.equal(grid.get(1).metrics["trainingIteration"], 3);
    const state = JSON.parse(fs.readFileSync(path.join(storagePath, "throws", "experiment-state.json"), "utf8")) as { trials: { status: string; error: { name: string } | null }[] };
    assert.deepEqual(state.trials.map((t) => [t.status, t.error?.name ?? null]), [["ERROR", "DivergedError"], ["TERMINATED", null]]);
  });

  test("failFast: fit() rejects with TrialFailedError, its cause the trainable's error", async () => {
    const storagePath = tempDir();
    const e = await tuner(storagePath, "fast", { failAt: 1 }, { failFast: true }).fit().then(
      () => assert.fail("fit() resolved"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof tune.TrialFailedError, String(e));
    assert.equal(e.code, "LUX_TUNE_TRIAL_FAILED");
    assert.match(e.trialId, /_00000$/);
    assert.ok(e.cause instanceof Error);
    assert.equal(e.cause.name, "DivergedError");
    assert.match(e.message, /DivergedError: loss diverged at iteration 1/);
  });

  for (const failHow of ["throw", "exit"] as const) {
    test(`maxFailures 1, the trainable ${failHow === "throw" ? "throws" : "kills its actor's process"} at iteration 3: the trial restarts from its last checkpoint and finishes; the other trial runs once`, async () => {
      const storagePath = tempDir();
      const grid = await tuner(storagePath, `restart-${failHow}`, { failAt: 3, failHow }, { maxFailures: 1 }).fit();
      assert.equal(grid.numTerminated, 2);
      const [first, second] = [grid.get(0), grid.get(1)];
      const starts = recorded<StartRecord>(storagePath, "start", first.metrics["trialId"] as string);
      assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[1, null], [3, path.join(first.path, "checkpoint_000001")]]);
      if (failHow === "exit") assert.notEqual(starts[0]?.pid, starts[1]?.pid, "a new actor");
      assert.deepEqual(first.metricsHistory.map((m) => m["trainingIteration"]), [1, 2, 3]);
      assert.equal(recorded(storagePath, "start", second.metrics["trialId"] as string).length, 1, "the other trial unaffected");
    });
  }

  test("maxFailures 0 and an actor that dies: ERROR with ActorDiedError", async () => {
    const storagePath = tempDir();
    const grid = await tuner(storagePath, "dies", { failAt: 1, failHow: "exit" }, {}).fit();
    assert.equal(grid.get(0).error?.name, "ActorDiedError");
    assert.equal(grid.numTerminated, 1);
  });
});

describe("Tuner.restore's options for ERROR trials", () => {
  const errored = async (storagePath: string, name: string): Promise<string> => {
    const grid = await tuner(storagePath, name, { failAt: 2 }, {}).fit();
    assert.deepEqual([grid.numErrors, grid.numTerminated], [1, 1]);
    return grid.experimentPath;
  };

  test("by default an ERROR trial stays so; resumeErrored continues it from its latest checkpoint; the finished trial is not run again", async () => {
    const storagePath = tempDir();
    const expPath = await errored(storagePath, "resume");
    const kept = await tune.Tuner.restore(expPath, curve).fit();
    assert.deepEqual([kept.numErrors, kept.numTerminated], [1, 1]);
    assert.equal(kept.get(0).error?.name, "DivergedError", "the error as the experiment state kept it");
    const grid = await tune.Tuner.restore(expPath, curve, { resumeErrored: true }).fit();
    assert.deepEqual([grid.numErrors, grid.numTerminated], [0, 2]);
    const [first, second] = [grid.get(0), grid.get(1)];
    const starts = recorded<StartRecord>(storagePath, "start", first.metrics["trialId"] as string);
    assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[1, null], [2, path.join(first.path, "checkpoint_000000")]]);
    assert.deepEqual(first.metricsHistory.map((m) => m["trainingIteration"]), [1, 2, 3]);
    assert.equal(recorded(storagePath, "start", second.metrics["trialId"] as string).length, 1);
  });

  test("restartErrored runs an ERROR trial again from its start: its old results and checkpoints gone", async () => {
    const storagePath = tempDir();
    const expPath = await errored(storagePath, "restart");
    const grid = await tune.Tuner.restore(expPath, curve, { restartErrored: true }).fit();
    assert.deepEqual([grid.numErrors, grid.numTerminated], [0, 2]);
    const first = grid.get(0);
    const starts = recorded<StartRecord>(storagePath, "start", first.metrics["trialId"] as string);
    assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[1, null], [1, null]]);
    assert.deepEqual(first.metricsHistory.map((m) => m["trainingIteration"]), [1, 2, 3]);
    assert.equal(fs.readFileSync(path.join(first.path, "result.json"), "utf8").trim().split("\n").length, 3);
    assert.deepEqual(fs.readdirSync(first.path).filter((f) => f.startsWith("checkpoint_")).sort(), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"]);
    assert.equal(fs.readFileSync(path.join(first.path, "checkpoint_000000", "iter"), "utf8"), "1");
    assert.throws(() => tune.Tuner.restore(expPath, curve, { restartErrored: 1 } as never), (e: unknown) => e instanceof tune.InvalidOptionError && /restartErrored/.test(e.message));
  });
});

describe("a killed driver", () => {
  test("Tuner.restore: finished trials are not run again, unfinished ones continue from their last checkpoint", async () => {
    const storagePath = tempDir();
    const driver = startScript(path.join(fixtures, "tune-driver.ts"), { env: { LUX_ADDRESS: env.cluster.address }, args: [storagePath] });
    const expPath = path.join(storagePath, "driven");
    try {
      const ids = (): string[] => fs.readdirSync(expPath).filter((f) => f.startsWith("curve_")).map((f) => f.slice("curve_".length)).sort();
      await waitFor(() => fs.existsSync(expPath) && ids().length === 4 && ids().slice(2).every((id) => recorded(storagePath, "returned", id).length === 2), "trials 3 and 4 held after two reports", 90_000);
      driver.kill("SIGKILL");
      await driver.exited();
    } finally {
      driver.kill("SIGKILL");
      await driver.exited();
    }
    assert.ok(tune.Tuner.canRestore(expPath));
    assert.equal(tune.Tuner.canRestore(storagePath), false);
    // A copy restored with resumeUnfinished false: its unfinished trials end as they are, none runs.
    const copy = path.join(storagePath, "copy", "driven");
    fs.cpSync(expPath, copy, { recursive: true });
    const ended = await tune.Tuner.restore(copy, curve, { resumeUnfinished: false }).fit();
    assert.equal(ended.numTerminated, 4);
    assert.deepEqual([...ended].map((r) => r.metrics["trainingIteration"]), [4, 4, 2, 2]);
    assert.ok([...ended].every((r) => recorded(storagePath, "start", r.metrics["trialId"] as string).length === 1), "no trial ran again");
    fs.writeFileSync(path.join(storagePath, "release"), "");
    const grid = await tune.Tuner.restore(expPath, curve).fit();
    assert.equal(grid.numTerminated, 4);
    const trials = [...grid];
    assert.deepEqual(trials.map((r) => r.metrics["trainingIteration"]), [4, 4, 4, 4]);
    for (const r of trials.slice(0, 2)) assert.equal(recorded(storagePath, "start", r.metrics["trialId"] as string).length, 1, "a finished trial is not run again");
    for (const r of trials.slice(2)) {
      const starts = recorded<StartRecord>(storagePath, "start", r.metrics["trialId"] as string);
      assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[1, null], [3, path.join(r.path, "checkpoint_000001")]]);
      assert.deepEqual(r.metricsHistory.map((m) => m["trainingIteration"]), [1, 2, 3, 4], "the history from both drivers");
    }
    assert.equal(grid.getBestResult().config["rate"], 4);
  });

  test("Tuner.restore of a DataParallelTrainer's experiment: the finished trial is not run again, the held ones' trainers resume from their latest checkpoints", async () => {
    const storagePath = tempDir();
    const driver = startScript(path.join(fixtures, "tune-trainer-driver.ts"), { env: { LUX_ADDRESS: env.cluster.address }, args: [storagePath] });
    const expPath = path.join(storagePath, "driven-trainer");
    const trialDirs = (): string[] => (fs.existsSync(expPath) ? fs.readdirSync(expPath).filter((f) => f.startsWith("DataParallelTrainer_")).sort() : []);
    const reports = (trial: string): number => {
      const file = path.join(expPath, trial, "result.json");
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").length : 0;
    };
    try {
      await waitFor(() => trialDirs().length === 3 && reports(trialDirs()[0] as string) === 4 && trialDirs().slice(1).every((t) => reports(t) === 2), "trial 0 done, trials 1 and 2 held after two reports", 90_000);
      driver.kill("SIGKILL");
      await driver.exited();
    } finally {
      driver.kill("SIGKILL");
      await driver.exited();
    }
    fs.writeFileSync(path.join(storagePath, "release"), "");
    const trainer = new train.DataParallelTrainer<LoopConfig>(tunedLoop, { trainLoopConfig: { lr: 1, epochs: 4, dir: storagePath }, scalingConfig: { numWorkers: 2, resourcesPerWorker: { CPU: 0.5 } } });
    const grid = await tune.Tuner.restore(expPath, trainer).fit();
    assert.equal(grid.numTerminated, 3);
    const trials = [...grid];
    assert.deepEqual(trials.map((r) => r.metrics["epoch"]), [3, 3, 3]);
    assert.equal(loopStarts(storagePath, path.basename(trials[0]?.path ?? "")).length, 1, "a finished trial is not run again");
    for (const r of trials.slice(1)) {
      const starts = loopStarts(storagePath, path.basename(r.path));
      assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[0, null], [2, path.join(r.path, "checkpoint_000001")]]);
      assert.deepEqual(r.metricsHistory.map((m) => [m["trainingIteration"], m["epoch"]]), [[1, 0], [2, 1], [3, 2], [4, 3]], "the history from both drivers");
      assert.equal(r.checkpoint?.path, path.join(r.path, "checkpoint_000003"));
    }
    assert.equal((grid.getBestResult().config["trainLoopConfig"] as { lr: number }).lr, 4);
  });

  test("Tuner.restore of a folder without an experiment: ExperimentNotFoundError", () => {
    const storagePath = tempDir();
    assert.throws(() => tune.Tuner.restore(storagePath, curve), (e: unknown) => e instanceof tune.ExperimentNotFoundError && e.message.includes("no experiment-state.json there"));
    assert.ok(lux.isInitialized());
  });
});
