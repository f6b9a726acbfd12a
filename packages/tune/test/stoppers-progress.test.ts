/**
 * Stoppers and the progress table without a cluster (issue 20, points 5 and 6): each stopper's
 * rule, and the table's lines (elapsed time, logical resource usage, best trial, status counts,
 * a row per trial).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tune from "../src/index.js";
import { usageLine } from "../src/capacity.js";
import { formatProgress, statusLine } from "../src/progress.js";
import { toStopper } from "../src/stoppers.js";
import type { TrialInfo, TrialResult, TrialStatus } from "../src/types.js";

function r(metrics: Record<string, unknown>, trainingIteration = 1): TrialResult {
  return { ...metrics, trainingIteration, timeTotalMs: 0, timeThisIterMs: 0, trialId: "t", config: {}, timestamp: 0 };
}

describe("stoppers", () => {
  test("thresholds: any reached (>=); a function; bad thresholds name the key", () => {
    const s = toStopper({ trainingIteration: 10, acc: 0.98 }) as tune.Stopper;
    assert.equal(s.shouldStop("t", r({ acc: 0.5 }, 3)), false);
    assert.equal(s.shouldStop("t", r({ acc: 0.99 }, 3)), true);
    assert.equal(s.shouldStop("t", r({ acc: 0.5 }, 10)), true);
    assert.equal((toStopper((id: string, res: TrialResult) => id === "x" && res["acc"] === 1) as tune.Stopper).shouldStop("x", r({ acc: 1 })), true);
    assert.throws(() => toStopper({ acc: "high" }), /invalid option runConfig\.stop\.acc/);
  });

  test("MaximumIterationStopper, TrialPlateauStopper, ExperimentPlateauStopper, TimeoutStopper, CombinedStopper", () => {
    const max = new tune.MaximumIterationStopper(2);
    assert.deepEqual([max.shouldStop("a"), max.shouldStop("a"), max.shouldStop("b")], [false, true, false]);
    const plateau = new tune.TrialPlateauStopper({ metric: "loss", std: 0.01, numResults: 3, gracePeriod: 3 });
    assert.deepEqual([1, 0.5, 0.5, 0.5, 0.5].map((v) => plateau.shouldStop("a", r({ loss: v }))), [false, false, false, true, true]);
    const exp = new tune.ExperimentPlateauStopper({ metric: "loss", top: 3, std: 0.001 });
    for (const v of [0.3, 0.3, 0.3]) exp.shouldStop("a", r({ loss: v }));
    assert.equal(exp.stopAll(), true);
    const timeout = new tune.TimeoutStopper(60_000);
    assert.equal(timeout.stopAll(), false);
    const combined = new tune.CombinedStopper(new tune.MaximumIterationStopper(5), new tune.MaximumIterationStopper(1));
    assert.equal(combined.shouldStop("a", r({})), true);
    assert.throws(() => new tune.TimeoutStopper(0), /TimeoutStopper ms/);
  });
});

function trial(id: string, status: TrialStatus, lr: number, loss: number | undefined, iteration: number): TrialInfo & { timeTotalMs: number; iteration: number } {
  return { trialId: id, trialName: `objective_${id}`, status, config: { lr, opt: { beta: 0.9 } }, lastResult: loss === undefined ? undefined : r({ loss }, iteration), hasCheckpoint: false, timeTotalMs: 1234, iteration };
}

describe("the progress table", () => {
  test("elapsed time, `Logical resource usage: 1.5/2 CPUs`, the best trial, `3 TERMINATED, 1 ERROR`, a row per trial", () => {
    const trials = [trial("a_00000", "TERMINATED", 0.1, 0.5, 3), trial("a_00001", "TERMINATED", 0.01, 0.25, 3), trial("a_00002", "ERROR", 0.2, undefined, 0), trial("a_00003", "TERMINATED", 0.3, 0.75, 2)];
    const text = formatProgress({ now: new Date(2026, 11, 8, 14, 3, 59), elapsedMs: 72_340, usage: usageLine({ CPU: 1.5 }, { CPU: 2 }), metric: "loss", mode: "min", trials, params: ["lr", "opt/beta"] });
    const lines = text.split("\n");
    assert.deepEqual(lines.slice(0, 5), [
      "== Status ==",
      "Current time: 2026-12-08 14:03:59 (running for 00:01:12.34)",
      "Logical resource usage: 1.5/2 CPUs",
      "Current best trial: a_00001 with loss=0.25",
      "Trial status: 3 TERMINATED, 1 ERROR",
    ]);
    assert.match(lines[5] ?? "", /^Trial name\s+status\s+lr\s+opt\/beta\s+iter\s+total time \(s\)\s+loss$/);
    assert.match(lines[7] ?? "", /^objective_a_00001\s+TERMINATED\s+0\.01\s+0\.9\s+3\s+1\.23\s+0\.25$/);
    assert.match(lines[8] ?? "", /^objective_a_00002\s+ERROR\s+0\.2\s+0\.9\s+0\s+1\.23$/);
    assert.equal(lines.length, 10);
    assert.equal(statusLine([trial("x", "RUNNING", 1, 1, 1), trial("y", "PENDING", 1, undefined, 0), trial("z", "PAUSED", 1, 1, 1)]), "1 RUNNING, 1 PAUSED, 1 PENDING");
    assert.equal(usageLine({ CPU: 0.25, GPU: 1 }, { CPU: 2, GPU: 2 }), "0.25/2 CPUs, 1/2 GPUs");
  });
});
