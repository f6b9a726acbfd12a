/**
 * Searchers through a Tuner on a real cluster (issue 20, point 3): TPE beats random search on
 * Branin with the same seed and budget. One trial at a time, so each suggestion sees every
 * earlier result: the runs are deterministic.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as tune from "@lux/tune";
import { braninTrial } from "./fixtures/tune-defs.js";

const BRANIN_MIN = 0.397887;
let dir = "";

before(async () => {
  await lux.init({ numCpus: 2 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-search-"));
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function bestRegret(name: string, searchAlg: tune.Searcher | undefined): Promise<{ regret: number; configs: string[] }> {
  const grid = await new tune.Tuner(braninTrial, {
    paramSpace: { x1: tune.uniform(-5, 10), x2: tune.uniform(0, 15) },
    tuneConfig: { metric: "y", mode: "min", numSamples: 30, seed: 5, maxConcurrentTrials: 1, ...(searchAlg !== undefined ? { searchAlg } : {}) },
    runConfig: { storagePath: dir, name, verbose: 0 },
  }).fit();
  assert.equal(grid.numTerminated, 30);
  return { regret: (grid.getBestResult().metrics["y"] as number) - BRANIN_MIN, configs: [...grid].map((r) => JSON.stringify(r.config)) };
}

test("TPE (10 random startup trials, then Parzen estimators) finds a better Branin point than random search in 30 trials, seed 5", async () => {
  const random = await bestRegret("random", undefined);
  const tpe = await bestRegret("tpe", new tune.TPESearch({ nStartupTrials: 10 }));
  assert.deepEqual(tpe.configs.slice(0, 10), random.configs.slice(0, 10), "the startup trials draw what random search draws (same seed)");
  assert.ok(tpe.regret < random.regret / 2, `TPE's regret ${tpe.regret} is under half of random's ${random.regret}`);
});
