/**
 * Tuner.restore's side: the searcher and scheduler made again from the experiment state (those
 * of @lux/tune; another's cannot be, and the restored experiment then makes no new trials, or
 * schedules first in, first out), and the trials with the statuses the restore options give.
 */
import * as path from "node:path";
import { InvalidOptionError } from "lux";
import type { ExperimentState } from "./experiment-state.js";
import { ASHAScheduler, type ASHAOptions } from "./schedulers/asha.js";
import { HyperBandScheduler, type HyperBandOptions } from "./schedulers/hyperband.js";
import { MedianStoppingRule, type MedianStoppingOptions } from "./schedulers/median-stopping.js";
import { PopulationBasedTraining, type PBTOptions } from "./schedulers/pbt.js";
import type { HyperparamMutations } from "./schedulers/pbt-explore.js";
import type { TrialScheduler } from "./schedulers/scheduler.js";
import { BasicVariantGenerator, type BasicVariantGeneratorOptions } from "./search/basic-variant.js";
import { ConcurrencyLimiter } from "./search/concurrency-limiter.js";
import type { PersistedSearcher, Searcher } from "./search/searcher.js";
import { spaceFromJSON } from "./search/space.js";
import { TPESearch, type TPESearchOptions } from "./search/tpe.js";
import { Trial } from "./trial.js";
import { TrialFiles } from "./trial-files.js";

/** Options of `Tuner.restore`. */
export interface RestoreOptions {
  /** Continue trials that were PENDING, RUNNING or PAUSED (from their latest checkpoint). Default true; false: they end TERMINATED. */
  resumeUnfinished?: boolean;
  /** Continue ERROR trials from their latest checkpoint. Default false. */
  resumeErrored?: boolean;
  /** Run ERROR trials again from the start. Default false. */
  restartErrored?: boolean;
}

export function checkRestoreOptions(options: unknown): Required<RestoreOptions> {
  const known = ["resumeUnfinished", "resumeErrored", "restartErrored"];
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new InvalidOptionError({ option: "restore options", expected: "an object", received: options });
  const o = options as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (!known.includes(k)) throw new InvalidOptionError({ option: k, expected: `no such key: Tuner.restore's options take ${known.join(", ")}`, received: v });
    if (typeof v !== "boolean") throw new InvalidOptionError({ option: k, expected: "true or false", received: v });
  }
  return { resumeUnfinished: (o["resumeUnfinished"] as boolean | undefined) ?? true, resumeErrored: (o["resumeErrored"] as boolean | undefined) ?? false, restartErrored: (o["restartErrored"] as boolean | undefined) ?? false };
}

export function searcherFromState(p: PersistedSearcher | null): Searcher | undefined {
  switch (p?.type) {
    case "BasicVariantGenerator":
      return new BasicVariantGenerator(p.options as BasicVariantGeneratorOptions);
    case "TPESearch":
      return new TPESearch(p.options as TPESearchOptions);
    case "ConcurrencyLimiter": {
      const inner = searcherFromState((p.state as { inner: PersistedSearcher }).inner);
      return inner === undefined ? undefined : new ConcurrencyLimiter(inner, p.options as { maxConcurrent: number });
    }
    default:
      return undefined;
  }
}

export function schedulerFromState(p: PersistedSearcher | null): TrialScheduler | undefined {
  switch (p?.type) {
    case "ASHAScheduler":
      return new ASHAScheduler(p.options as ASHAOptions);
    case "HyperBandScheduler":
      return new HyperBandScheduler(p.options as HyperBandOptions);
    case "MedianStoppingRule":
      return new MedianStoppingRule(p.options as MedianStoppingOptions);
    case "PopulationBasedTraining": {
      const o = p.options as PBTOptions;
      return new PopulationBasedTraining({ ...o, hyperparamMutations: spaceFromJSON(o.hyperparamMutations) as HyperparamMutations });
    }
    default:
      return undefined;
  }
}

/** Puts the saved state back into a searcher or scheduler made by the functions above. */
export function restoreInto(target: unknown, p: PersistedSearcher | null): void {
  if (p === null) return;
  (target as Partial<{ restoreState(s: unknown): void }>).restoreState?.(p.state);
}

/**
 * The trials of the state, with their histories (result.json) and the statuses the options give.
 * An ERROR trial run again from its start loses its results and checkpoints (files included: its
 * run removes the checkpoint folders from nextCheckpointIndex, now 0, on).
 */
export function restoredTrials(state: ExperimentState, dir: string, options: Required<RestoreOptions>): Trial[] {
  return state.trials.map((j) => {
    const t = Trial.fromJSON(j, dir, path.basename(dir));
    const files = new TrialFiles(t.dir);
    t.results = files.readResults();
    if (t.status === "ERROR" && (options.restartErrored || options.resumeErrored)) {
      if (options.restartErrored) {
        t.checkpoints = [];
        t.restoreFrom = undefined;
        t.nextCheckpointIndex = 0;
        t.results = [];
        t.lastResult = undefined;
        files.removeResults();
      }
      t.status = "PENDING";
      t.error = undefined;
      t.numFailures = 0;
    } else if (t.status === "RUNNING" || t.status === "PENDING" || t.status === "PAUSED") {
      t.status = !options.resumeUnfinished ? "TERMINATED" : t.status === "RUNNING" ? "PENDING" : t.status;
    }
    return t;
  });
}
