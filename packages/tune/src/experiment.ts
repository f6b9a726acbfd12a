/**
 * A Tuner's experiment, set up once by its constructor: the trainable recognized, the options
 * compiled, the metric and mode settled between tuneConfig, the searcher and the scheduler
 * (they may not contradict each other; ASHA, HyperBand, the median rule, PBT and TPE need
 * both), and the searcher and scheduler given the search's properties.
 */
import * as path from "node:path";
import { BasicVariantGenerator } from "./search/basic-variant.js";
import { ConcurrencyLimiter } from "./search/concurrency-limiter.js";
import type { Searcher } from "./search/searcher.js";
import type { ParamSpace } from "./search/space.js";
import { TPESearch } from "./search/tpe.js";
import { FIFOScheduler } from "./schedulers/fifo.js";
import { MetricScheduler, type TrialScheduler } from "./schedulers/scheduler.js";
import { compileParamSpace, compileRunConfig, compileTuneConfig, type CompiledRun, type CompiledTune } from "./config.js";
import { fail } from "./config-checks.js";
import { trainableSpec, type TrainableSpec } from "./trainable-spec.js";
import type { Mode } from "./types.js";

export interface Experiment {
  readonly trainable: TrainableSpec;
  readonly paramSpace: ParamSpace;
  readonly tune: CompiledTune;
  readonly run: CompiledRun;
  readonly searcher: Searcher;
  /** The default searcher: its configs are all made at the start. */
  readonly searcherIsDefault: boolean;
  readonly scheduler: TrialScheduler;
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
  /** storagePath/name. */
  readonly dir: string;
}

function nameOf(x: object): string {
  return x.constructor?.name ?? "searcher";
}

/** The searcher or scheduler (maybe inside a ConcurrencyLimiter) that cannot work without a metric and a mode. */
function needingMetric(x: Searcher | TrialScheduler): object | undefined {
  if (x instanceof ConcurrencyLimiter) return needingMetric(x.searcher);
  return x instanceof MetricScheduler || x instanceof TPESearch ? x : undefined;
}

/** The metric and mode of tuneConfig, the scheduler and the searcher, which must agree. */
function settleMetric(tune: CompiledTune, parts: readonly [string, Searcher | TrialScheduler][]): { metric: string | undefined; mode: Mode | undefined } {
  let metric = tune.metric;
  let mode = tune.mode;
  for (const [field, part] of parts) {
    const m = part.metric;
    const o = part.mode;
    if (m !== undefined && metric !== undefined && m !== metric) {
      fail(`tuneConfig.${field}`, `a ${nameOf(part)} deciding by tuneConfig.metric "${metric}" (or with no metric of its own), not by "${m}"`, m);
    }
    if (o !== undefined && mode !== undefined && o !== mode) {
      fail(`tuneConfig.${field}`, `a ${nameOf(part)} with tuneConfig.mode "${mode}" (or no mode of its own), not "${o}"`, o);
    }
    metric ??= m;
    mode ??= o;
  }
  for (const [, part] of parts) {
    const needs = needingMetric(part);
    if (needs === undefined) continue;
    if (metric === undefined) fail("tuneConfig.metric", `a metric's name: ${nameOf(needs)} decides by one (set tuneConfig.metric and tuneConfig.mode, or its own)`, undefined);
    if (mode === undefined) fail("tuneConfig.mode", `"min" or "max": ${nameOf(needs)} needs to know which is better`, undefined);
  }
  return { metric, mode };
}

export function buildExperiment(trainable: unknown, options: unknown): Experiment {
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) fail("options", "an object { paramSpace, tuneConfig, runConfig }", options);
  const o = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!["paramSpace", "tuneConfig", "runConfig"].includes(key)) fail(key, "no such key: the options take paramSpace, tuneConfig, runConfig", o[key]);
  const spec = trainableSpec(trainable);
  const paramSpace = compileParamSpace(o["paramSpace"]);
  if (spec.kind === "trainer") {
    for (const key of Object.keys(paramSpace)) {
      if (key !== "trainLoopConfig") fail(`paramSpace.${key}`, "only trainLoopConfig in the space of a DataParallelTrainer (its values are merged over the trainer's trainLoopConfig)", paramSpace[key]);
    }
  }
  const tune = compileTuneConfig(o["tuneConfig"]);
  const run = compileRunConfig(o["runConfig"], spec.name);
  const searcher = tune.searchAlg ?? new BasicVariantGenerator();
  const scheduler: TrialScheduler = tune.scheduler ?? new FIFOScheduler();
  const { metric, mode } = settleMetric(tune, [
    ["scheduler", scheduler],
    ["searchAlg", searcher],
  ]);
  scheduler.setSearchProperties?.(metric, mode);
  searcher.setSearchProperties?.({ metric, mode, paramSpace, seed: tune.seed, numSamples: tune.numSamples });
  return { trainable: spec, paramSpace, tune, run, searcher, searcherIsDefault: tune.searchAlg === undefined || tune.searchAlg instanceof BasicVariantGenerator, scheduler, metric, mode, dir: path.join(run.storagePath, run.name) };
}
