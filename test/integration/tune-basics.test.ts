/**
 * @lux/tune through its public API on a real cluster (issue 20, points 1, 2, 5, 6, 7): trials of
 * a function and of a Trainable class, grid and random configs, a trial's context, reports with
 * checkpoints, resources per trial (an actor's, a placement group's), stoppers and the time
 * budget, the ResultGrid and its Arrow table, the progress table, and the files of an
 * experiment (experiment-state.json, params.json, result.json, progress.csv, checkpoint_NNNNNN).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import * as tune from "@lux/tune";
import { Counter, ResettableCounter, ShapedCounter, curve, recorded, iterationOf, wherePlaced, type CurveConfig, type StartRecord } from "./fixtures/tune-defs.js";
import { waitFor } from "./helpers.js";

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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-test-"));
  return dir;
}

/** What `fn` printed to stdout so far (passed through as well). */
let captured = "";

async function withStdout<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  captured = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    return { value: await fn(), out: captured };
  } finally {
    process.stdout.write = write;
  }
}

describe("a function trainable", () => {
  test("3 grid axes × 2 values × 2 samples = 16 trials, each with its config", async () => {
    const storagePath = tempDir();
    const tuner = new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 1, rate: tune.gridSearch([1, 2]), delayMs: tune.gridSearch([0, 1]), checkpoint: tune.gridSearch([false, true]), extra: tune.uniform(0, 1) },
      tuneConfig: { numSamples: 2, seed: 7 },
      runConfig: { storagePath, name: "grid", verbose: 0 },
    });
    const grid = await tuner.fit();
    assert.equal(grid.length, 16);
    assert.equal(grid.numTerminated, 16);
    const combos = [...grid].map((r) => `${r.config.rate}/${r.config.delayMs}/${String(r.config.checkpoint)}`);
    for (const c of new Set(combos)) assert.equal(combos.filter((x) => x === c).length, 2, `combination ${c} twice`);
    assert.equal(new Set(combos).size, 8);
    assert.equal(new Set([...grid].map((r) => r.config.extra)).size, 16, "the random axis drawn per trial");
  });

  test("files, context, checkpoints and the Result of each trial", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 3, checkpoint: true, rate: tune.gridSearch([1, 5]) },
      tuneConfig: { metric: "score", mode: "max" },
      runConfig: { storagePath, name: "files", verbose: 0 },
    }).fit();
    const expPath = path.join(storagePath, "files");
    assert.equal(grid.experimentPath, expPath);
    const state = JSON.parse(fs.readFileSync(path.join(expPath, "experiment-state.json"), "utf8")) as { trials: { trialId: string; status: string }[] };
    assert.deepEqual(state.trials.map((t) => t.status), ["TERMINATED", "TERMINATED"]);
    for (const r of grid) {
      const trialId = r.metrics["trialId"] as string;
      assert.equal(r.error, undefined);
      assert.equal(r.path, path.join(expPath, `curve_${trialId}`));
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(r.path, "params.json"), "utf8")), r.config);
      const lines = fs.readFileSync(path.join(r.path, "result.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as tune.TrialResult);
      assert.deepEqual(lines.map((l) => [l.trainingIteration, l.score, l.trialId]), [1, 2, 3].map((i) => [i, r.config.rate, trialId]));
      assert.ok(lines.every((l) => l.timeTotalMs >= 0 && typeof l.timestamp === "number"));
      assert.deepEqual(lines[0]?.config, r.config);
      const csv = fs.readFileSync(path.join(r.path, "progress.csv"), "utf8").trim().split("\n");
      assert.equal(csv.length, 4, "a header and a row per result");
      assert.match(csv[0] ?? "", /^score,i,trainingIteration,timeTotalMs,timeThisIterMs,trialId,timestamp$/);
      assert.deepEqual(fs.readdirSync(r.path).filter((f) => f.startsWith("checkpoint_")).sort(), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"]);
      assert.equal(r.checkpoint?.path, path.join(r.path, "checkpoint_000002"));
      assert.equal(fs.readFileSync(path.join(r.path, "checkpoint_000002", "iter"), "utf8"), "3");
      assert.equal(r.metrics["trainingIteration"], 3);
      assert.equal(r.metricsHistory.length, 3);
      const [start] = recorded<StartRecord>(storagePath, "start", trialId);
      assert.deepEqual(start?.context, { trialId, trialName: `curve_${trialId}`, trialDir: r.path, experimentName: "files" });
      const returned = recorded<{ i: number; latest: string }>(storagePath, "returned", trialId);
      assert.deepEqual(returned.map((x) => x.latest), [0, 1, 2].map((k) => path.join(r.path, `checkpoint_00000${k}`)), "getCheckpoint() after each report: its copy");
    }
    assert.equal(grid.getBestResult().config.rate, 5);
    assert.equal(grid.getBestResult("score", "min").config.rate, 1);
    assert.equal(grid.getBestResult("score", "max", "avg").config.rate, 5);
    assert.throws(() => grid.getBestResult("nope"), (e: unknown) => {
      assert.ok(e instanceof tune.InvalidOptionError);
      assert.match(e.message, /'nope'/);
      assert.match(e.message, /reported metrics: i, score, timeThisIterMs, timeTotalMs, timestamp, trainingIteration, trialId/);
      return true;
    });
    const table = grid.toTable();
    assert.equal(table.numRows, 2);
    assert.deepEqual([...(table.getChild("config/rate")?.toArray() ?? [])].map(Number), [1, 5]);
    assert.deepEqual([...(table.getChild("score")?.toArray() ?? [])].map(Number), [1, 5]);
  });

  test("withResources { CPU: 0.5 }: four trials at once on 2 CPUs; the progress table", async () => {
    const storagePath = tempDir();
    const trainable = tune.withResources(curve, { CPU: 0.5 });
    const config: CurveConfig = { dir: storagePath, iterations: 2, rate: 1, holdAt: 2 };
    const tuner = new tune.Tuner(trainable, {
      paramSpace: { ...config, rate: tune.gridSearch([1, 2, 3, 4]) },
      tuneConfig: { metric: "score", mode: "max" },
      runConfig: { storagePath, name: "half", progressIntervalMs: 100 },
    });
    const { value: grid, out } = await withStdout(async () => {
      const fit = tuner.fit();
      await waitFor(() => fs.readdirSync(storagePath).filter((f) => f.startsWith("returned-")).length === 4, "four trials running at once", 60_000);
      await waitFor(() => /Logical resource usage: 2\/2 CPUs/.test(captured), "a table while all four run", 20_000);
      fs.writeFileSync(path.join(storagePath, "release"), "");
      return fit;
    });
    assert.equal(grid.numTerminated, 4);
    assert.match(out, /== Status ==\nCurrent time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(running for \d\d:\d\d:\d\d\.\d\d\)\nLogical resource usage: 2\/2 CPUs\n/);
    assert.match(out, /Trial status: 4 RUNNING\n/);
    const best = grid.getBestResult();
    assert.match(out, new RegExp(`Current best trial: ${best.metrics["trialId"] as string} with score=4\\n`));
    assert.match(out, /Trial status: 4 TERMINATED\n/);
    assert.match(out, /Trial name\s+status\s+rate\s+iter\s+total time \(s\)\s+score\n/);
    assert.match(out, new RegExp(`curve_${best.metrics["trialId"] as string}\\s+TERMINATED\\s+4\\s+2\\s+[\\d.]+\\s+4\\n`));
  });

  test("withResources with bundles: each trial's actor in a placement group of its own", async () => {
    const storagePath = tempDir();
    const trainable = tune.withResources(wherePlaced, [{ CPU: 0.5 }, { CPU: 0.5 }]);
    const grid = await new tune.Tuner(trainable, { paramSpace: { dir: storagePath }, tuneConfig: { numSamples: 3 }, runConfig: { storagePath, name: "pg", verbose: 0 } }).fit();
    const pgs = [...grid].map((r) => recorded<{ pg: string | null }>(storagePath, "placed", r.metrics["trialId"] as string)[0]?.pg);
    assert.ok(pgs.every((p) => typeof p === "string"), String(pgs));
    assert.equal(new Set(pgs).size, 3);
    await waitFor(async () => (await lux.placementGroupTable()).every((g) => g.state === "REMOVED"), "the trials' groups removed");
  });
});

describe("a Trainable class", () => {
  test("setup with the trial's context, a step per result, checkpoints every 2 results and at the end, done ends the trial", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(Counter, {
      paramSpace: { dir: storagePath, iterations: 5, step: tune.gridSearch([1, 10]) },
      tuneConfig: { metric: "count", mode: "max" },
      runConfig: { storagePath, name: "class", verbose: 0, checkpointConfig: { checkpointFrequency: 2, checkpointAtEnd: true } },
    }).fit();
    assert.equal(grid.numTerminated, 2);
    for (const r of grid) {
      const step = r.config.step as number;
      assert.deepEqual(r.metricsHistory.map((m) => [m["trainingIteration"], m["count"]]), [1, 2, 3, 4, 5].map((i) => [i, i * step]));
      assert.equal(r.metrics["done"], true);
      assert.deepEqual(fs.readdirSync(r.path).filter((f) => f.startsWith("checkpoint_")).sort(), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"]);
      assert.deepEqual(["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"].map((c) => fs.readFileSync(path.join(r.path, c, "count"), "utf8")), [2, 4, 5].map((i) => String(i * step)));
      assert.equal(r.checkpoint?.path, path.join(r.path, "checkpoint_000002"));
      const setup = recorded<{ context: tune.TrialContext }>(storagePath, "setup", r.metrics["trialId"] as string);
      assert.equal(setup.length, 1);
      assert.equal(setup[0]?.context.trialDir, r.path);
    }
    assert.equal(grid.getBestResult().config.step, 10);
  });

  test("the next trial takes the actor and, with resetConfig returning true, the instance (no second setup)", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(ResettableCounter, {
      paramSpace: { dir: storagePath, iterations: 2, step: tune.gridSearch([1, 2, 3]) },
      tuneConfig: { maxConcurrentTrials: 1 },
      runConfig: { storagePath, name: "reset", verbose: 0 },
    }).fit();
    assert.deepEqual([...grid].map((r) => r.metrics["count"]), [2, 4, 6], "each trial counted from 0 with its own step");
    const ids = [...grid].map((r) => r.metrics["trialId"] as string);
    assert.deepEqual(ids.map((id) => recorded(storagePath, "setup", id).length), [1, 0, 0]);
    const resets = ids.slice(1).map((id) => recorded<{ pid: number; count: number }>(storagePath, "reset", id)[0]);
    const setupPid = recorded<{ pid: number }>(storagePath, "setup", ids[0] as string)[0]?.pid;
    assert.deepEqual(resets.map((r) => [r?.pid, r?.count]), [[setupPid, 2], [setupPid, 4]], "the same process, the instance as the last trial left it");
  });

  test("a class that implements tune.Trainable without extending it (a base of its own) runs as a class trainable", async () => {
    const storagePath = tempDir();
    const grid = await new tune.Tuner(ShapedCounter, {
      paramSpace: { dir: storagePath, step: tune.gridSearch([1, 2]) },
      runConfig: { storagePath, name: "shaped", verbose: 0, checkpointConfig: { checkpointAtEnd: true } },
    }).fit();
    assert.equal(grid.numTerminated, 2);
    assert.deepEqual([...grid].map((r) => r.metricsHistory.map((m) => m["weight"])), [[1, 2, 3], [2, 4, 6]]);
    assert.deepEqual([...grid].map((r) => recorded<{ weight: number }>(storagePath, "setup", r.metrics["trialId"] as string).map((x) => x.weight)), [[0], [0]]);
    assert.deepEqual([...grid].map((r) => fs.readFileSync(path.join(r.checkpoint?.path ?? "", "weight"), "utf8")), ["3", "6"]);
  });
});

describe("stoppers and the time budget", () => {
  test("stop thresholds (any reached), a function, and a Stopper each end trials early, TERMINATED", async () => {
    const storagePath = tempDir();
    const run = async (name: string, stop: tune.RunConfig["stop"]): Promise<number[]> => {
      const grid = await new tune.Tuner(curve, {
        paramSpace: { dir: storagePath, iterations: 6, rate: tune.gridSearch([1, 3]) },
        runConfig: { storagePath, name, verbose: 0, ...(stop !== undefined ? { stop } : {}) },
      }).fit();
      assert.equal(grid.numTerminated, 2);
      return [...grid].map((r) => r.metrics["trainingIteration"] as number);
    };
    assert.deepEqual(await run("thresholds", { trainingIteration: 4, score: 3 }), [4, 1]);
    assert.deepEqual(await run("function", (_id, result) => result["i"] === 2), [2, 2]);
    assert.deepEqual(await run("stopper", new tune.CombinedStopper(new tune.MaximumIterationStopper(3), new tune.TrialPlateauStopper({ metric: "score", numResults: 2, gracePeriod: 2 }))), [2, 2]);
  });

  test("timeBudgetMs: running trials end at the budget (TERMINATED) and fit() resolves", async () => {
    const storagePath = tempDir();
    const started = Date.now();
    const grid = await new tune.Tuner(curve, {
      paramSpace: { dir: storagePath, iterations: 3, rate: tune.gridSearch([1, 2]), holdAt: 2 },
      tuneConfig: { timeBudgetMs: 1500 },
      runConfig: { storagePath, name: "budget", verbose: 0 },
    }).fit();
    assert.ok(Date.now() - started < 30_000, "well before the held trials would end");
    assert.equal(grid.numTerminated, 2);
    assert.ok([...grid].every((r) => ((r.metrics["trainingIteration"] as number | undefined) ?? 0) <= 1), "no trial got past its hold");
  });
});

describe("calls outside a trial", () => {
  test("tune.getContext() throws TuneSessionError, tune.report() TrainSessionError, saying where they work", async () => {
    assert.throws(() => tune.getContext(), (e: unknown) => e instanceof tune.TuneSessionError && /outside a trial/.test(e.message));
    await assert.rejects(tune.report({ loss: 1 }), (e: unknown) => e instanceof lux.TrainSessionError && /Tune trial/.test(e.message));
    assert.equal(iterationOf.length, 1);
  });
});
