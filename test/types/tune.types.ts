/**
 * Type tests for @lux/tune (issue 20, point 1): checked by `tsc` (npm run typecheck), never run.
 * The config type `C` of a Tuner is inferred from its paramSpace (a `Domain<number>` becomes
 * `number`) and checked against the trainable. Each `@ts-expect-error` line must be an error.
 */
import * as train from "@lux/train";
import * as tune from "@lux/tune";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

const space = {
  lr: tune.loguniform(1e-4, 1e-1),
  act: tune.gridSearch(["relu", "tanh"]),
  opt: { beta: tune.uniform(0.8, 0.99), layers: tune.randint(1, 4) },
  kind: tune.choice(["a", "b"] as const),
  width: tune.sampleFrom((spec) => String(spec.config["act"])),
  epochs: 10,
};
type C = tune.Resolve<typeof space>;
assertEqual<C, { lr: number; act: string; opt: { beta: number; layers: number }; kind: "a" | "b"; width: string; epochs: number }>(true);
assertEqual<tune.Resolve<{ x: tune.Domain<number> }>, { x: number }>(true);

// An inline trainable's config is typed from the space.
new tune.Tuner(
  async (config) => {
    assertEqual<typeof config, C>(true);
    const beta: number = config.opt.beta;
    // @ts-expect-error lr is a number
    const lr: string = config.lr;
    await tune.report({ loss: beta + config.lr, lrText: lr });
  },
  { paramSpace: space, tuneConfig: { metric: "loss", mode: "min" } },
);

// A declared trainable is checked against it.
async function objective(config: { lr: number; act: string }): Promise<void> {
  await tune.report({ loss: config.lr });
}
new tune.Tuner(objective, { paramSpace: { lr: tune.uniform(0, 1), act: tune.choice(["relu"]), extra: 1 } });
// @ts-expect-error the space makes lr a string
new tune.Tuner(objective, { paramSpace: { lr: tune.choice(["x"]), act: tune.choice(["relu"]) } });
// @ts-expect-error the space has no act
new tune.Tuner(objective, { paramSpace: { lr: tune.uniform(0, 1) } });

// withResources keeps the check.
new tune.Tuner(tune.withResources(objective, { CPU: 0.5 }), { paramSpace: { lr: tune.uniform(0, 1), act: "relu" } });
// @ts-expect-error the space makes lr a string
new tune.Tuner(tune.withResources(objective, { CPU: 0.5 }), { paramSpace: { lr: "x", act: "relu" } });
// @ts-expect-error resource amounts are numbers
tune.withResources(objective, { CPU: "1" });

// A Trainable class: its config type against the space's.
class Model extends tune.Trainable<{ lr: number }> {
  step(): tune.Metrics {
    const lr: number = this.config.lr;
    return { loss: lr };
  }
}
new tune.Tuner(Model, { paramSpace: { lr: tune.uniform(0, 1) } });
// @ts-expect-error the space makes lr a string
new tune.Tuner(Model, { paramSpace: { lr: tune.choice(["x"]) } });

// A DataParallelTrainer: its space under trainLoopConfig.
const trainer = new train.DataParallelTrainer((config: { lr: number }) => void config.lr, { trainLoopConfig: { lr: 0.1 } });
new tune.Tuner(trainer, { paramSpace: { trainLoopConfig: { lr: tune.loguniform(1e-3, 1) } } });

// Results carry the config type.
export async function results(): Promise<void> {
  const grid = await new tune.Tuner(objective, { paramSpace: { lr: tune.uniform(0, 1), act: tune.gridSearch(["relu", "tanh"]) } }).fit();
  assertEqual<typeof grid, tune.ResultGrid<{ lr: number; act: string }>>(true);
  const best = grid.getBestResult("loss", "min", "all");
  assertEqual<typeof best.config, { lr: number; act: string }>(true);
  for (const r of grid) assertEqual<typeof r, tune.Result<{ lr: number; act: string }>>(true);
  // @ts-expect-error scope is "last", "avg", "all", "last-5-avg" or "last-10-avg"
  grid.getBestResult("loss", "min", "best");
  const restored = tune.Tuner.restore("/tmp/exp", objective, { resumeErrored: true });
  await restored.fit();
}

// Options are typed.
// @ts-expect-error mode is "min" or "max"
new tune.Tuner(objective, { paramSpace: { lr: tune.uniform(0, 1), act: "relu" }, tuneConfig: { mode: "minimize" } });
// @ts-expect-error numSamples is a number
new tune.Tuner(objective, { paramSpace: { lr: tune.uniform(0, 1), act: "relu" }, tuneConfig: { numSamples: "4" } });
new tune.Tuner(objective, {
  paramSpace: { lr: tune.uniform(0, 1), act: "relu" },
  tuneConfig: { metric: "loss", mode: "min", numSamples: 4, seed: 1, maxConcurrentTrials: 2, timeBudgetMs: 60_000, searchAlg: new tune.ConcurrencyLimiter(new tune.TPESearch({ nStartupTrials: 5 }), { maxConcurrent: 2 }), scheduler: new tune.ASHAScheduler({ maxT: 10 }) },
  runConfig: { name: "x", storagePath: "/tmp", stop: { trainingIteration: 10 }, failureConfig: { maxFailures: 2, failFast: false }, checkpointConfig: { numToKeep: 2 }, verbose: 1, progressIntervalMs: 5000 },
});
new tune.Tuner(objective, { paramSpace: { lr: 0.1, act: "relu" }, runConfig: { stop: (trialId, result) => trialId === "x" && result.trainingIteration > 3 } });
new tune.Tuner(objective, { paramSpace: { lr: 0.1, act: "relu" }, runConfig: { stop: new tune.CombinedStopper(new tune.TimeoutStopper(1000), new tune.MaximumIterationStopper(3)) } });
// @ts-expect-error a stop threshold is a number
new tune.Tuner(objective, { paramSpace: { lr: 0.1, act: "relu" }, runConfig: { stop: { acc: "high" } } });

// A custom Searcher.
const searcher: tune.Searcher = {
  suggest: (trialId) => (trialId === "x" ? tune.FINISHED : { lr: 0.1 }),
  onTrialComplete: (_id, result, error) => void (error || result?.trainingIteration),
};
void searcher;
// @ts-expect-error report takes an object of metrics
void tune.report(42);
