/**
 * `@lux/tune`: hyperparameter search on Lux (Ray Tune for TypeScript). A `Tuner` runs trials of
 * a trainable as Lux actors with configs drawn from a typed search space by a searcher (random,
 * grid, TPE), lets a scheduler (ASHA, HyperBand, median stopping, PBT) stop, pause or mutate
 * them early, keeps the experiment's state on disk so a killed driver can resume it, and
 * resolves to a ResultGrid. See docs/tune.md.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import * as tune from "@lux/tune";
 *
 * export async function objective(config: { lr: number; act: string }) {
 *   for (let epoch = 1; epoch <= 20; epoch++) {
 *     await tune.report({ loss: config.lr * 100 / epoch + (config.act === "relu" ? 0 : 0.1) });
 *   }
 * }
 *
 * lux.main(async () => {
 *   const tuner = new tune.Tuner(objective, {
 *     paramSpace: { lr: tune.loguniform(1e-4, 1e-1), act: tune.gridSearch(["relu", "tanh"]) },
 *     tuneConfig: { metric: "loss", mode: "min", numSamples: 4, scheduler: new tune.ASHAScheduler({ maxT: 20 }) },
 *   });
 *   const grid = await tuner.fit();
 *   console.log(grid.getBestResult().config);
 * });
 * ```
 */
export { Tuner, type TunerTrainable } from "./tuner.js";
export type { TunerOptions, TuneConfig, RunConfig, FailureConfig, CheckpointConfig } from "./config.js";
export type { RestoreOptions } from "./restore.js";
export { ResultGrid, type Result, type Scope } from "./result-grid.js";
export { uniform, quniform, loguniform, qloguniform, randn, randint, qrandint, choice, gridSearch, sampleFrom } from "./search/sample.js";
export { Domain, type SampleSpec } from "./search/domain.js";
export type { ParamSpace, Resolve } from "./search/space.js";
export { FINISHED, type Searcher, type SearchProperties } from "./search/searcher.js";
export { BasicVariantGenerator, type BasicVariantGeneratorOptions } from "./search/basic-variant.js";
export { TPESearch, type TPESearchOptions } from "./search/tpe.js";
export { ConcurrencyLimiter, type ConcurrencyLimiterOptions } from "./search/concurrency-limiter.js";
export type { TrialScheduler, SchedulerContext, Decision, MetricOptions } from "./schedulers/scheduler.js";
export { FIFOScheduler } from "./schedulers/fifo.js";
export { ASHAScheduler, type ASHAOptions } from "./schedulers/asha.js";
export { HyperBandScheduler, type HyperBandOptions } from "./schedulers/hyperband.js";
export { MedianStoppingRule, type MedianStoppingOptions } from "./schedulers/median-stopping.js";
export { PopulationBasedTraining, type PBTOptions } from "./schedulers/pbt.js";
export type { HyperparamMutations, Mutation } from "./schedulers/pbt-explore.js";
export {
  MaximumIterationStopper,
  TrialPlateauStopper,
  ExperimentPlateauStopper,
  TimeoutStopper,
  CombinedStopper,
  type Stopper,
  type StopCondition,
  type TrialPlateauOptions,
  type ExperimentPlateauOptions,
} from "./stoppers.js";
export { Trainable, withResources, WithResources, type TrainableClass, type TrainableFunction, type TrialResources } from "./trainable.js";
export { getContext, type TrialContext } from "./context.js";
/** `tune.report(metrics, { checkpoint })`, `tune.getCheckpoint()` and `Checkpoint` are @lux/train's: in a trial they go to the trial. */
export { report, getCheckpoint, Checkpoint, type ReportOptions } from "@lux/train";
export type { TrialResult, TrialStatus, TrialInfo, Mode } from "./types.js";
export type { Metrics } from "./metrics.js";
export { TrialFailedError, TuneSessionError, ExperimentNotFoundError, InvalidOptionError, InsufficientResourcesError } from "lux";
