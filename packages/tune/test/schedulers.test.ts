/**
 * Schedulers without a cluster (issue 20, point 4), fed results by hand: ASHA's rungs and
 * cutoffs, HyperBand's brackets (sizes, pausing, halving), the median rule, PBT's quantiles,
 * exploit and explore; the options they refuse.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tune from "../src/index.js";
import { Rng } from "../src/search/rng.js";
import type { SchedulerContext } from "../src/schedulers/scheduler.js";
import { explore } from "../src/schedulers/pbt-explore.js";
import type { TrialInfo, TrialResult, TrialStatus } from "../src/types.js";

interface FakeTrial extends TrialInfo {
  status: TrialStatus;
  config: Record<string, unknown>;
  lastResult: TrialResult | undefined;
  hasCheckpoint: boolean;
}

function fakeContext(n: number, seed = 1): Omit<SchedulerContext, "trials"> & { trials: FakeTrial[]; stopped: string[]; exploits: [string, string, Record<string, unknown>][]; saves: string[] } {
  const trials: FakeTrial[] = Array.from({ length: n }, (_, i) => ({ trialId: `t${i}`, trialName: `t${i}`, status: "PENDING", config: { lr: 0.1 * (i + 1) }, lastResult: undefined, hasCheckpoint: true }));
  const ctx = {
    trials,
    stopped: [] as string[],
    exploits: [] as [string, string, Record<string, unknown>][],
    saves: [] as string[],
    rng: new Rng(seed),
    stop: (t: TrialInfo) => {
      ctx.stopped.push(t.trialId);
      (t as FakeTrial).status = "TERMINATED";
    },
    exploit: (t: TrialInfo, s: TrialInfo, config: Record<string, unknown>) => {
      ctx.exploits.push([t.trialId, s.trialId, config]);
      return s.hasCheckpoint;
    },
    requestCheckpoint: (t: TrialInfo) => void ctx.saves.push(t.trialId),
  };
  return ctx;
}

function result(trial: FakeTrial, t: number, metrics: Record<string, number>): TrialResult {
  const r = { ...metrics, trainingIteration: t, timeTotalMs: t, timeThisIterMs: 1, trialId: trial.trialId, config: trial.config, timestamp: 0 };
  trial.lastResult = r;
  return r;
}

describe("ASHAScheduler", () => {
  test("milestones gracePeriod·rf^k up to maxT; each trial stops where the (1 − 1/rf) percentile of the earlier scores at its rung cuts it", () => {
    assert.deepEqual(new tune.ASHAScheduler({ maxT: 100, gracePeriod: 1, reductionFactor: 4, brackets: 2 }).milestones, [[1, 4, 16, 64], [4, 16, 64]]);
    const asha = new tune.ASHAScheduler({ metric: "score", mode: "max", maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    const rates = [3, 1, 4, 1.5, 5, 2, 3.5];
    const ctx = fakeContext(rates.length);
    const stoppedAt = rates.map((rate, i) => {
      const trial = ctx.trials[i] as FakeTrial;
      asha.onTrialAdd(ctx, trial);
      for (let t = 1; t <= 20; t++) if (asha.onTrialResult(ctx, trial, result(trial, t, { score: rate })) === "STOP") return t;
      return undefined;
    });
    assert.deepEqual(stoppedAt, [9, 1, 9, 1, 9, 1, 3]);
  });

  test("mode min flips the comparison; a result without the metric is not recorded", () => {
    const asha = new tune.ASHAScheduler({ metric: "loss", mode: "min", maxT: 10, reductionFactor: 2 });
    const ctx = fakeContext(3);
    const [a, b, c] = ctx.trials as [FakeTrial, FakeTrial, FakeTrial];
    assert.equal(asha.onTrialResult(ctx, a, result(a, 1, { loss: 1 })), "CONTINUE");
    assert.equal(asha.onTrialResult(ctx, b, result(b, 1, { other: 5 })), "CONTINUE");
    assert.equal(asha.onTrialResult(ctx, c, result(c, 1, { loss: 2 })), "STOP");
  });

  test("bad options name the field", () => {
    assert.throws(() => new tune.ASHAScheduler({ reductionFactor: 1 }), /ASHAScheduler reductionFactor/);
    assert.throws(() => new tune.ASHAScheduler({ maxT: -1 }), /ASHAScheduler maxT/);
    assert.throws(() => new tune.ASHAScheduler({ mode: "best" as "min" }), /ASHAScheduler mode/);
  });
});

describe("HyperBandScheduler", () => {
  test("maxT 9, eta 3: the first bracket takes 9 trials for 1 unit; trials pause at its end; the best 3 go on for 3, then the best for 9", () => {
    const hb = new tune.HyperBandScheduler({ metric: "score", mode: "max", maxT: 9, reductionFactor: 3 });
    const ctx = fakeContext(9);
    for (const t of ctx.trials) hb.onTrialAdd(ctx, t);
    const decisions = ctx.trials.map((t, i) => {
      t.status = "RUNNING";
      const d = hb.onTrialResult(ctx, t, result(t, 1, { score: i }));
      if (d === "PAUSE") t.status = "PAUSED";
      return d;
    });
    assert.deepEqual(decisions, ["PAUSE", "PAUSE", "PAUSE", "PAUSE", "PAUSE", "PAUSE", "PAUSE", "PAUSE", "CONTINUE"], "the last arrival is among the best: it goes on");
    assert.deepEqual([...ctx.stopped].sort(), ["t0", "t1", "t2", "t3", "t4", "t5"], "the rest stop");
    assert.equal(hb.chooseTrialToRun(ctx)?.trialId, "t6", "a paused survivor runs next");
    const t8 = ctx.trials[8] as FakeTrial;
    assert.equal(hb.onTrialResult(ctx, t8, result(t8, 2, { score: 8 })), "CONTINUE");
    assert.equal(hb.onTrialResult(ctx, t8, result(t8, 3, { score: 8 })), "PAUSE", "round 2 ends at 3");
    t8.status = "PAUSED";
    for (const i of [6, 7]) {
      const t = ctx.trials[i] as FakeTrial;
      t.status = "RUNNING";
      hb.onTrialResult(ctx, t, result(t, 2, { score: i }));
      const d = hb.onTrialResult(ctx, t, result(t, 3, { score: i }));
      assert.equal(d, i === 6 ? "PAUSE" : "STOP");
      if (d === "PAUSE") t.status = "PAUSED";
    }
    assert.deepEqual(ctx.stopped.slice(6), ["t6"]);
    assert.equal(hb.chooseTrialToRun(ctx)?.trialId, "t8");
    t8.status = "RUNNING";
    for (let t = 4; t < 9; t++) assert.equal(hb.onTrialResult(ctx, t8, result(t8, t, { score: 8 })), "CONTINUE");
    assert.equal(hb.onTrialResult(ctx, t8, result(t8, 9, { score: 8 })), "STOP", "the bracket ends at maxT");
  });
});

describe("MedianStoppingRule", () => {
  test("stops a trial whose best is below the median of the others' running means at its time", () => {
    const rule = new tune.MedianStoppingRule({ metric: "score", mode: "max", gracePeriod: 2, minSamplesRequired: 2 });
    const ctx = fakeContext(4);
    const [a, b, c, d] = ctx.trials as [FakeTrial, FakeTrial, FakeTrial, FakeTrial];
    for (let t = 1; t <= 3; t++) {
      rule.onTrialResult(ctx, a, result(a, t, { score: 10 }));
      rule.onTrialResult(ctx, b, result(b, t, { score: 6 }));
    }
    assert.equal(rule.onTrialResult(ctx, c, result(c, 1, { score: 1 })), "CONTINUE", "within the grace period");
    assert.equal(rule.onTrialResult(ctx, c, result(c, 2, { score: 9 })), "CONTINUE", "best 9 ≥ median of 10 and 6");
    assert.equal(rule.onTrialResult(ctx, d, result(d, 1, { score: 5.5 })), "CONTINUE");
    assert.equal(rule.onTrialResult(ctx, d, result(d, 2, { score: 5.5 })), "STOP", "best 5.5 < 6, the median of the running means at 2 (10, 6, 5)");
  });
});

describe("timeAttr", () => {
  /** A result whose `epoch` is ten times its trainingIteration. */
  const byEpoch = (trial: FakeTrial, t: number, score: number): TrialResult => result(trial, t, { score, epoch: 10 * t });

  test("MedianStoppingRule counts its grace period and compares running means in timeAttr", () => {
    const rule = new tune.MedianStoppingRule({ metric: "score", mode: "max", timeAttr: "epoch", gracePeriod: 20, minSamplesRequired: 1 });
    const ctx = fakeContext(2);
    const [a, b] = ctx.trials as [FakeTrial, FakeTrial];
    for (let t = 1; t <= 3; t++) rule.onTrialResult(ctx, a, byEpoch(a, t, 10));
    assert.equal(rule.onTrialResult(ctx, b, byEpoch(b, 1, 1)), "CONTINUE", "epoch 10: within the grace period of 20 epochs (trainingIteration would be past one of 1)");
    assert.equal(rule.onTrialResult(ctx, b, byEpoch(b, 2, 1)), "STOP", "epoch 20: best 1 below a's running mean 10");
  });

  test("PopulationBasedTraining steps every perturbationInterval units of timeAttr", () => {
    const pbt = new tune.PopulationBasedTraining({ metric: "score", mode: "max", timeAttr: "epoch", perturbationInterval: 20, hyperparamMutations: { lr: [0.1, 0.2] } });
    const ctx = fakeContext(2);
    for (const t of ctx.trials) pbt.onTrialAdd(ctx, t);
    const [t0, t1] = ctx.trials as [FakeTrial, FakeTrial];
    assert.equal(pbt.onTrialResult(ctx, t1, byEpoch(t1, 1, 5)), "CONTINUE");
    assert.equal(pbt.onTrialResult(ctx, t0, byEpoch(t0, 1, 1)), "CONTINUE", "epoch 10: before its interval");
    assert.deepEqual([ctx.saves, ctx.exploits], [[], []]);
    assert.equal(pbt.onTrialResult(ctx, t1, byEpoch(t1, 2, 5)), "CONTINUE");
    assert.equal(pbt.onTrialResult(ctx, t0, byEpoch(t0, 2, 1)), "PAUSE", "epoch 20: the bottom trial exploits the top one");
    assert.deepEqual(ctx.exploits.map((e) => e.slice(0, 2)), [["t0", "t1"]]);
  });

  test("a result without timeAttr is not counted", () => {
    const rule = new tune.MedianStoppingRule({ metric: "score", mode: "max", timeAttr: "epoch", gracePeriod: 1, minSamplesRequired: 1 });
    const ctx = fakeContext(2);
    const [a, b] = ctx.trials as [FakeTrial, FakeTrial];
    rule.onTrialResult(ctx, a, byEpoch(a, 1, 10));
    assert.equal(rule.onTrialResult(ctx, b, result(b, 5, { score: 0 })), "CONTINUE");
  });
});

describe("PopulationBasedTraining", () => {
  test("at each perturbation interval: a top-quantile trial saves, a bottom one exploits a top one with the explored config and pauses", () => {
    const pbt = new tune.PopulationBasedTraining({ metric: "score", mode: "max", perturbationInterval: 2, hyperparamMutations: { lr: tune.uniform(0, 1) }, resampleProbability: 0 });
    const ctx = fakeContext(4);
    for (const t of ctx.trials) pbt.onTrialAdd(ctx, t);
    const [t0, t1, t2, t3] = ctx.trials as [FakeTrial, FakeTrial, FakeTrial, FakeTrial];
    assert.equal(pbt.onTrialResult(ctx, t0, result(t0, 1, { score: 1 })), "CONTINUE", "before its interval");
    assert.deepEqual([t0, t1, t2, t3].map((t, i) => pbt.onTrialResult(ctx, t, result(t, 2, { score: i + 1 }))), ["CONTINUE", "CONTINUE", "CONTINUE", "CONTINUE"]);
    assert.deepEqual(ctx.saves, ["t1", "t2", "t3"], "each trial at the top when it got there saves");
    assert.equal(pbt.onTrialResult(ctx, t0, result(t0, 3, { score: 1 })), "CONTINUE", "within the interval");
    assert.equal(pbt.onTrialResult(ctx, t0, result(t0, 4, { score: 1 })), "PAUSE");
    const [exploit] = ctx.exploits;
    assert.deepEqual(exploit?.slice(0, 2), ["t0", "t3"]);
    const lr = (exploit?.[2] as { lr: number }).lr;
    assert.ok([0.4 * 1.2, 0.4 * 0.8].some((v) => Math.abs(v - lr) < 1e-12), `t3's lr 0.4 times 1.2 or 0.8: ${lr}`);
  });

  test("explore: a list's value moves to a neighbour (or is drawn anew), numbers scale (integers stay integers), nested keys", () => {
    const settings = { resampleProbability: 0, perturbationFactors: [2, 0.5] };
    for (let seed = 0; seed < 20; seed++) {
      const c = explore({ act: "b", opt: { layers: 4, lr: 0.1 }, k: 1 }, { act: ["a", "b", "c"], opt: { layers: tune.randint(1, 10), lr: () => 0.5 } }, settings, new Rng(seed));
      assert.ok(["a", "c"].includes(c["act"] as string));
      const opt = c["opt"] as { layers: number; lr: number };
      assert.ok([8, 2].includes(opt.layers));
      assert.ok([0.2, 0.05].includes(opt.lr));
      assert.equal(c["k"], 1);
    }
    const drawn = explore({ act: "z" }, { act: ["a", "b"] }, settings, new Rng(1));
    assert.ok(["a", "b"].includes(drawn["act"] as string), "a value not in the list is drawn from it");
    assert.equal(explore({ lr: 0.1 }, { lr: () => 0.5 }, { resampleProbability: 1, perturbationFactors: [2] }, new Rng(1))["lr"], 0.5);
  });

  test("burnInPeriod: no step before it", () => {
    const pbt = new tune.PopulationBasedTraining({ metric: "score", mode: "max", perturbationInterval: 1, burnInPeriod: 3, hyperparamMutations: { lr: [0.1, 0.2] } });
    const ctx = fakeContext(2);
    const [t0, t1] = ctx.trials as [FakeTrial, FakeTrial];
    for (let t = 1; t <= 2; t++) for (const [i, trial] of [t1, t0].entries()) assert.equal(pbt.onTrialResult(ctx, trial, result(trial, t, { score: 1 - i })), "CONTINUE");
    assert.deepEqual([ctx.saves, ctx.exploits], [[], []]);
    pbt.onTrialResult(ctx, t1, result(t1, 3, { score: 1 }));
    assert.equal(pbt.onTrialResult(ctx, t0, result(t0, 3, { score: 0 })), "PAUSE");
  });

  test("bad options name the field", () => {
    assert.throws(() => new tune.PopulationBasedTraining({}), /PopulationBasedTraining hyperparamMutations/);
    assert.throws(() => new tune.PopulationBasedTraining({ hyperparamMutations: { lr: [1] }, quantileFraction: 0.7 }), /quantileFraction/);
    assert.throws(() => new tune.PopulationBasedTraining({ hyperparamMutations: { lr: [1] }, perturbationInterval: 0 }), /perturbationInterval/);
  });
});

describe("FIFOScheduler", () => {
  test("every result goes on; pending trials run first, in order, then paused ones", () => {
    const fifo = new tune.FIFOScheduler();
    const ctx = fakeContext(3);
    const [t0, t1, t2] = ctx.trials as [FakeTrial, FakeTrial, FakeTrial];
    assert.equal(fifo.onTrialResult(), "CONTINUE");
    t0.status = "PAUSED";
    assert.equal(fifo.chooseTrialToRun(ctx)?.trialId, "t1");
    t1.status = "RUNNING";
    t2.status = "TERMINATED";
    assert.equal(fifo.chooseTrialToRun(ctx)?.trialId, "t0");
  });
});
