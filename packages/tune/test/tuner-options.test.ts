/**
 * What the Tuner's constructor refuses, naming the field (issue 20, point 9): a mode not min or
 * max, a scheduler or searcher whose metric or mode contradicts tuneConfig, ASHA/PBT/TPE with
 * no metric, gridSearch under TPE, unknown keys, bad values, a trainable that is none; and what
 * it accepts. No cluster: the constructor only checks.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tune from "../src/index.js";

export async function objective(config: { lr: number }): Promise<void> {
  await tune.report({ loss: config.lr });
}

function refuses(options: tune.TunerOptions, message: RegExp, trainable: unknown = objective): void {
  assert.throws(
    () => new tune.Tuner(trainable as typeof objective, options as tune.TunerOptions<{ lr: tune.Domain<number> }>),
    (e: unknown) => {
      assert.ok(e instanceof tune.InvalidOptionError, String(e));
      assert.match(e.message, message);
      return true;
    },
  );
}

const space = { lr: tune.uniform(0, 1) };

describe("new Tuner(): bad input named", () => {
  test("mode not min or max; unknown keys; bad numbers", () => {
    refuses({ paramSpace: space, tuneConfig: { metric: "loss", mode: "minimum" as "min" } }, /invalid option tuneConfig\.mode: expected "min" or "max", got 'minimum'/);
    refuses({ paramSpace: space, tuneConfig: { numSample: 3 } as tune.TuneConfig }, /invalid option tuneConfig\.numSample: expected no such key/);
    refuses({ paramSpace: space, tuneConfig: { numSamples: 0 } }, /tuneConfig\.numSamples/);
    refuses({ paramSpace: space, tuneConfig: { maxConcurrentTrials: 1.5 } }, /tuneConfig\.maxConcurrentTrials/);
    refuses({ paramSpace: space, runConfig: { failureConfig: { maxFailures: -2 } } }, /runConfig\.failureConfig\.maxFailures/);
    refuses({ paramSpace: space, runConfig: { checkpointConfig: { checkpointScoreOrder: "up" as "min" } } }, /runConfig\.checkpointConfig\.checkpointScoreOrder/);
    refuses({ paramSpace: space, runConfig: { name: "a/b" } }, /runConfig\.name/);
    refuses({ paramSpace: space, runConfig: { verbose: 3 as 1 } }, /runConfig\.verbose/);
    refuses({ paramSpace: space, runConfig: { stop: { loss: "low" } as unknown as Record<string, number> } }, /runConfig\.stop\.loss/);
    refuses({ paramSpace: [1] as unknown as tune.ParamSpace }, /invalid option paramSpace/);
    refuses({ paramSpace: space }, /invalid option trainable/, 42);
    refuses({ paramSpace: space }, /invalid option trainable/, class NotTrainable {});
  });

  test("a scheduler or searcher whose metric or mode contradicts tuneConfig", () => {
    refuses({ paramSpace: space, tuneConfig: { metric: "loss", mode: "min", scheduler: new tune.ASHAScheduler({ metric: "acc", mode: "max" }) } }, /invalid option tuneConfig\.scheduler: expected a ASHAScheduler deciding by tuneConfig\.metric "loss".*got 'acc'/);
    refuses({ paramSpace: space, tuneConfig: { metric: "loss", mode: "min", scheduler: new tune.ASHAScheduler({ mode: "max" }) } }, /invalid option tuneConfig\.scheduler: .*tuneConfig\.mode "min"/);
    refuses({ paramSpace: space, tuneConfig: { metric: "loss", mode: "min", searchAlg: new tune.TPESearch({ metric: "acc" }) } }, /invalid option tuneConfig\.searchAlg/);
    refuses({ paramSpace: space, tuneConfig: { scheduler: new tune.ASHAScheduler({ metric: "loss", mode: "min" }), searchAlg: new tune.TPESearch({ metric: "acc", mode: "min" }) } }, /invalid option tuneConfig\.searchAlg: .*"loss"/);
  });

  test("ASHA, HyperBand, the median rule, PBT and TPE with no metric (or no mode)", () => {
    const pbt = (): tune.PopulationBasedTraining => new tune.PopulationBasedTraining({ hyperparamMutations: { lr: tune.uniform(0, 1) } });
    for (const scheduler of [new tune.ASHAScheduler(), new tune.HyperBandScheduler(), new tune.MedianStoppingRule(), pbt()]) {
      refuses({ paramSpace: space, tuneConfig: { scheduler } }, new RegExp(`invalid option tuneConfig\\.metric: expected a metric's name: ${scheduler.constructor.name} decides by one`));
    }
    refuses({ paramSpace: space, tuneConfig: { searchAlg: new tune.TPESearch() } }, /invalid option tuneConfig\.metric: expected a metric's name: TPESearch/);
    refuses({ paramSpace: space, tuneConfig: { searchAlg: new tune.ConcurrencyLimiter(new tune.TPESearch(), { maxConcurrent: 2 }) } }, /TPESearch decides by one/);
    refuses({ paramSpace: space, tuneConfig: { metric: "loss", scheduler: new tune.ASHAScheduler() } }, /invalid option tuneConfig\.mode: expected "min" or "max": ASHAScheduler/);
  });

  test("gridSearch under TPE", () => {
    refuses({ paramSpace: { lr: space.lr, act: tune.gridSearch(["relu", "tanh"]) }, tuneConfig: { metric: "loss", mode: "min", searchAlg: new tune.TPESearch() } }, /invalid option paramSpace\.act: expected a domain TPESearch can model/);
  });

  test("accepted: the metric given once, in tuneConfig or on the scheduler; a trainer's space only under trainLoopConfig", () => {
    assert.ok(new tune.Tuner(objective, { paramSpace: space, tuneConfig: { scheduler: new tune.ASHAScheduler({ metric: "loss", mode: "min" }) } }));
    assert.ok(new tune.Tuner(objective, { paramSpace: space, tuneConfig: { metric: "loss", mode: "min", scheduler: new tune.ASHAScheduler({ metric: "loss" }), searchAlg: new tune.TPESearch() } }));
    assert.ok(new tune.Tuner(tune.withResources(objective, { CPU: 0.5 }), { paramSpace: space }));
    assert.throws(() => tune.withResources(objective, { CPU: -1 }), /withResources resources\.CPU/);
  });
});
