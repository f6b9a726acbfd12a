/**
 * ResultGrid without a cluster (issue 20, point 6): a Result per trial in order, getBestResult
 * by each scope and mode (its defaults tuneConfig's), the errors, and the Arrow table with the
 * config flattened as `config/a/b`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tune from "../src/index.js";
import { loadArrow } from "../src/result-grid.js";
import type { TrialResult, TrialStatus } from "../src/types.js";

type Config = { lr: number; opt: { beta: number; act: string } };

function trial(i: number, losses: number[], error?: Error): tune.Result<Config> {
  const config: Config = { lr: 0.1 * (i + 1), opt: { beta: 0.9, act: i % 2 === 0 ? "relu" : "tanh" } };
  const history: TrialResult[] = losses.map((loss, k) => ({ loss, nested: { acc: 1 - loss }, trainingIteration: k + 1, timeTotalMs: k, timeThisIterMs: 1, trialId: `t${i}`, config, timestamp: 0 }));
  return { config, metrics: history.at(-1) ?? {}, checkpoint: undefined, path: `/exp/t${i}`, error, metricsHistory: history };
}

function grid(): tune.ResultGrid<Config> {
  const results = [
    trial(0, [5, 4, 3]), // last 3, mean 4, best 3
    trial(1, [1, 9, 9]), // last 9, mean 19/3, best 1
    trial(2, [3.5, 3.5, 3.5]), // last 3.5, mean 3.5, best 3.5
    trial(3, [], new RangeError("diverged")),
  ];
  const statuses: TrialStatus[] = ["TERMINATED", "TERMINATED", "TERMINATED", "ERROR"];
  return new tune.ResultGrid(results, statuses, "loss", "min", "/exp");
}

test("a Result per trial, in order; errors and counts", () => {
  const g = grid();
  assert.equal(g.length, 4);
  assert.deepEqual([...g].map((r) => r.path), ["/exp/t0", "/exp/t1", "/exp/t2", "/exp/t3"]);
  assert.equal(g.get(2).config.lr, 0.30000000000000004);
  assert.throws(() => g.get(4), RangeError);
  assert.deepEqual(g.errors.map((e) => e.message), ["diverged"]);
  assert.deepEqual([g.numErrors, g.numTerminated], [1, 3]);
  assert.equal(g.experimentPath, "/exp");
});

test("getBestResult: tuneConfig's metric and mode by default; scope last, avg, all; another mode; a nested metric", () => {
  const g = grid();
  const best = (...args: Parameters<tune.ResultGrid<Config>["getBestResult"]>): string => g.getBestResult(...args).path;
  assert.equal(best(), "/exp/t0");
  assert.equal(best("loss", "min", "last"), "/exp/t0");
  assert.equal(best("loss", "min", "avg"), "/exp/t2");
  assert.equal(best("loss", "min", "all"), "/exp/t1");
  assert.equal(best("loss", "max"), "/exp/t1");
  assert.equal(best("loss", "max", "all"), "/exp/t1");
  assert.equal(best("loss", "min", "last-5-avg"), "/exp/t2");
  assert.equal(best("nested/acc", "max"), "/exp/t0");
});

test("getBestResult's bad input: an unknown metric lists those reported; no metric or mode; a bad scope", () => {
  const g = grid();
  assert.throws(() => g.getBestResult("nope"), (e: unknown) => e instanceof tune.InvalidOptionError && /'nope'/.test(e.message) && /reported metrics: loss, nested\/acc, timeThisIterMs, timeTotalMs, timestamp, trainingIteration, trialId/.test(e.message));
  const bare = new tune.ResultGrid([trial(0, [1])], ["TERMINATED"], undefined, undefined, "/exp");
  assert.throws(() => bare.getBestResult(), (e: unknown) => e instanceof tune.InvalidOptionError && /metric/.test(e.message) && /reported metrics: loss/.test(e.message));
  assert.throws(() => bare.getBestResult("loss"), (e: unknown) => e instanceof tune.InvalidOptionError && /mode/.test(e.message));
  assert.throws(() => g.getBestResult("loss", "min", "best" as never), (e: unknown) => e instanceof tune.InvalidOptionError && /scope/.test(e.message));
});

test("toTable: a row per trial, its last metrics (nested as a/b) and its config as config/…", async () => {
  await loadArrow();
  const table = grid().toTable();
  assert.equal(table.numRows, 4);
  const column = (name: string): unknown[] => [...(table.getChild(name)?.toArray() ?? [])];
  assert.deepEqual(column("loss").slice(0, 3).map(Number), [3, 9, 3.5]);
  assert.equal(table.getChild("loss")?.get(3), null, "the trial that reported nothing");
  assert.deepEqual(column("nested/acc").slice(0, 3).map(Number), [-2, -8, -2.5]);
  assert.deepEqual(column("config/opt/act"), ["relu", "tanh", "relu", "tanh"]);
  assert.deepEqual(column("config/lr").map(Number), [0.1, 0.2, 0.30000000000000004, 0.4]);
  assert.equal(table.getChild("config"), null);
});
