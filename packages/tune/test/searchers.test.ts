/**
 * Searchers without a cluster (issue 20, point 3): TPE against random search on Branin (the
 * bench's criterion, 60 trials × 10 seeds: TPE's median regret ≤ 0.25), TPE's categories and
 * log scale, its state saved and restored, gridSearch refused, and ConcurrencyLimiter.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tune from "../src/index.js";
import { PERSIST, type PersistedSearcher } from "../src/search/searcher.js";
import type { TrialResult } from "../src/types.js";

const BRANIN_MIN = 0.397887;

function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

function result(config: Record<string, unknown>, metrics: Record<string, number>): TrialResult {
  return { ...metrics, config, trainingIteration: 1, timeTotalMs: 0, timeThisIterMs: 0, trialId: "t", timestamp: 0 };
}

/** Runs `n` trials one after the other; returns the best regret. */
function search(searcher: tune.Searcher, seed: number, n: number): number {
  searcher.setSearchProperties?.({ metric: "y", mode: "min", paramSpace: { x1: tune.uniform(-5, 10), x2: tune.uniform(0, 15) }, seed, numSamples: n });
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const config = searcher.suggest(String(i)) as { x1: number; x2: number };
    const y = branin(config.x1, config.x2);
    best = Math.min(best, y);
    searcher.onTrialComplete?.(String(i), result(config, { y }), false);
  }
  return best - BRANIN_MIN;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return ((s[4] as number) + (s[5] as number)) / 2;
}

describe("TPESearch", () => {
  test("Branin, 60 trials × 10 seeds: TPE's median regret ≤ 0.25, below random search's", () => {
    const seeds = Array.from({ length: 10 }, (_, i) => i);
    const tpe = median(seeds.map((s) => search(new tune.TPESearch(), s, 60)));
    const random = median(seeds.map((s) => search(new tune.BasicVariantGenerator(), s, 60)));
    assert.ok(tpe <= 0.25, `TPE's median regret ${tpe}`);
    assert.ok(tpe < random, `TPE ${tpe} < random ${random}`);
  });

  test("categories and log scale: after its startup trials it suggests the good category and the good decade", () => {
    const tpe = new tune.TPESearch({ nStartupTrials: 10, seed: 4 });
    tpe.setSearchProperties({ metric: "loss", mode: "min", paramSpace: { act: tune.choice(["relu", "tanh", "gelu"]), lr: tune.loguniform(1e-5, 1) }, seed: undefined, numSamples: 40 });
    const late: { act: string; lr: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const c = tpe.suggest() as { act: string; lr: number };
      if (i >= 25) late.push(c);
      const loss = (c.act === "gelu" ? 0 : 1) + Math.abs(Math.log10(c.lr) + 3);
      tpe.onTrialComplete("t", result(c, { loss }), false);
    }
    assert.ok(late.filter((c) => c.act === "gelu").length >= 10, JSON.stringify(late.map((c) => c.act)));
    assert.ok(late.filter((c) => c.lr > 1e-4 && c.lr < 1e-2).length >= 10, JSON.stringify(late.map((c) => c.lr)));
  });

  test("mode max, and failed trials or trials without the metric teach it nothing", () => {
    const tpe = new tune.TPESearch({ nStartupTrials: 2, seed: 1, metric: "acc", mode: "max" });
    tpe.setSearchProperties({ metric: undefined, mode: undefined, paramSpace: { x: tune.uniform(0, 1) }, seed: undefined, numSamples: 10 });
    assert.equal(tpe.metric, "acc");
    tpe.onTrialComplete("a", result({ x: 0.1 }, { acc: 1 }), true);
    tpe.onTrialComplete("b", result({ x: 0.1 }, { loss: 1 }), false);
    const state = (tpe[PERSIST]() as PersistedSearcher).state as { observations: unknown[] };
    assert.equal(state.observations.length, 0);
  });

  test("its state (observations, random state) restored: it suggests what it would have", () => {
    const space = { x: tune.uniform(0, 1), y: tune.randint(0, 10) };
    const a = new tune.TPESearch({ nStartupTrials: 3, seed: 9 });
    a.setSearchProperties({ metric: "m", mode: "min", paramSpace: space, seed: undefined, numSamples: 20 });
    for (let i = 0; i < 6; i++) {
      const c = a.suggest() as { x: number; y: number };
      a.onTrialComplete(String(i), result(c, { m: c.x + c.y }), false);
    }
    const saved = JSON.parse(JSON.stringify(a[PERSIST]())) as PersistedSearcher;
    const b = new tune.TPESearch(saved.options as tune.TPESearchOptions);
    b.setSearchProperties({ metric: "m", mode: "min", paramSpace: space, seed: undefined, numSamples: 20 });
    b.restoreState(saved.state);
    assert.deepEqual([b.suggest(), b.suggest()], [a.suggest(), a.suggest()]);
  });

  test("gridSearch in its space: InvalidOptionError naming the field", () => {
    const tpe = new tune.TPESearch();
    assert.throws(
      () => tpe.setSearchProperties({ metric: "m", mode: "min", paramSpace: { opt: { act: tune.gridSearch(["relu", "tanh"]) } }, seed: undefined, numSamples: 1 }),
      (e: unknown) => e instanceof tune.InvalidOptionError && /invalid option paramSpace\.opt\.act: expected a domain TPESearch can model/.test(e.message),
    );
  });
});

describe("ConcurrencyLimiter", () => {
  test("suggests nothing (null) while maxConcurrent of its trials run; again once one completes", () => {
    const limited = new tune.ConcurrencyLimiter(new tune.TPESearch({ seed: 1 }), { maxConcurrent: 2 });
    limited.setSearchProperties({ metric: "m", mode: "min", paramSpace: { x: tune.uniform(0, 1) }, seed: undefined, numSamples: 10 });
    assert.equal(limited.metric, "m");
    assert.equal(typeof limited.suggest("a"), "object");
    assert.equal(typeof limited.suggest("b"), "object");
    assert.equal(limited.suggest("c"), null);
    limited.onTrialComplete("a", undefined, true);
    assert.equal(typeof limited.suggest("c"), "object");
    assert.throws(() => new tune.ConcurrencyLimiter(new tune.TPESearch(), { maxConcurrent: 0 }), /maxConcurrent/);
  });
});
