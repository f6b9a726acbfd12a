/**
 * Searchers through a Tuner on a real cluster (issue 20, point 3): TPE beats random search on
 * Branin with the same seed and budget. One trial at a time, so each suggestion sees every
 * earlier result: the runs are deterministic. A Searcher of the user's own: what the Tuner
 * tells it and asks of it (null: nothing now, asked again when a trial ends; FINISHED).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as tune from "@lux/tune";
import { braninTrial, curve } from "./fixtures/tune-defs.js";

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

/** Suggests its configs one trial at a time (null while one runs), then FINISHED; logs each call. */
class ListSearcher implements tune.Searcher {
  readonly calls: string[] = [];
  private next = 0;
  private running = 0;

  constructor(private readonly configs: Record<string, unknown>[]) {}

  setSearchProperties(p: tune.SearchProperties): void {
    this.calls.push(`properties ${p.metric} ${p.mode} ${p.seed} ${p.numSamples}`);
  }

  suggest(trialId: string): Record<string, unknown> | null | typeof tune.FINISHED {
    if (this.next >= this.configs.length) return tune.FINISHED;
    if (this.running > 0) return null;
    this.running++;
    this.calls.push(`suggest ${trialId.split("_")[1]}`);
    return this.configs[this.next++] as Record<string, unknown>;
  }

  onTrialResult(_trialId: string, result: tune.TrialResult): void {
    this.calls.push(`result ${String(result["score"])}@${result.trainingIteration}`);
  }

  onTrialComplete(_trialId: string, result: tune.TrialResult | undefined, error: boolean): void {
    this.running--;
    this.calls.push(`complete ${String(result?.["score"])} ${error}`);
  }
}

test("a Searcher of one's own: its properties, a suggestion after each trial ends (null before), results and completions, FINISHED ends the experiment", async () => {
  const configs = [3, 1, 2].map((rate) => ({ dir, rate, iterations: 2 }));
  const searcher = new ListSearcher(configs);
  const grid = await new tune.Tuner(curve, {
    // The space types the configs; this searcher suggests its own.
    paramSpace: { dir, iterations: 2, rate: tune.choice([1, 2, 3]) },
    tuneConfig: { metric: "score", mode: "max", numSamples: 10, seed: 3, searchAlg: searcher },
    runConfig: { storagePath: dir, name: "own-searcher", verbose: 0 },
  }).fit();
  assert.equal(grid.numTerminated, 3);
  assert.deepEqual([...grid].map((r) => r.config), configs);
  const trial = (n: number, rate: number): string[] => [`suggest 0000${n}`, `result ${rate}@1`, `result ${rate}@2`, `complete ${rate} false`];
  assert.deepEqual(searcher.calls, ["properties score max 3 10", ...trial(0, 3), ...trial(1, 1), ...trial(2, 2)]);
  assert.equal(grid.getBestResult().config.rate, 3);
});
