/**
 * `Tuner`: runs trials of a trainable with configs from a search space, as Lux actors, under a
 * searcher and a scheduler, and resolves to a ResultGrid. Its experiment's state is kept in
 * storagePath/name/experiment-state.json, so `Tuner.restore` goes on after a killed driver.
 */
import * as path from "node:path";
import * as lux from "lux";
import type { DataParallelTrainer } from "@lux/train";
import type { TunerOptions } from "./config.js";
import { TuneController } from "./controller.js";
import { buildExperiment, type Experiment } from "./experiment.js";
import { canRestore, readState } from "./experiment-state.js";
import { checkRestoreOptions, restoreInto, restoredTrials, schedulerFromState, searcherFromState, type RestoreOptions } from "./restore.js";
import { ResultGrid, loadArrow, type Result } from "./result-grid.js";
import type { ParamSpace, Resolve } from "./search/space.js";
import { spaceFromJSON } from "./search/space.js";
import type { TrainableClass, TrainableFunction, WithResources } from "./trainable.js";
import type { Trial } from "./trial.js";

/** What a Tuner runs: a function or a Trainable class for configs `C` (maybe with resources), or a DataParallelTrainer. */
export type TunerTrainable<C> = TrainableFunction<C> | TrainableClass<C> | WithResources<TrainableFunction<C> | TrainableClass<C>> | DataParallelTrainer<any>;

interface Restored {
  readonly trials: Trial[];
  readonly searcherFinished: boolean;
  readonly startTime: number;
}

export class Tuner<S extends ParamSpace = ParamSpace> {
  private readonly experiment: Experiment;
  private restored: Restored | undefined;
  private fitted = false;

  /**
   * `trainable` runs in each trial's actor: declare it at the top level of a module (or inside
   * `lux.main` in the entry script), as it is shipped with `lux.ship`. Bad options throw
   * InvalidOptionError here, naming the field.
   */
  constructor(trainable: TunerTrainable<NoInfer<Resolve<S>>>, options: TunerOptions<S> = {}) {
    this.experiment = buildExperiment(trainable, options);
  }

  /**
   * Runs the experiment: resolves once every trial ended (a failed trial is marked ERROR, its
   * error in its Result), or rejects with TrialFailedError at the first failure with
   * `failFast`. Starts a local cluster first if this process is not connected to one.
   */
  async fit(): Promise<ResultGrid<Resolve<S>>> {
    if (this.fitted) throw new TypeError("Tuner.fit() runs an experiment once; to go on with it, Tuner.restore(path, trainable).fit()");
    this.fitted = true;
    if (!lux.isInitialized()) await lux.init();
    await loadArrow();
    const x = this.experiment;
    const controller = new TuneController(x, this.restored);
    await controller.run();
    const results: Result<Resolve<S>>[] = controller.trials.map((t) => ({
      config: t.config as Resolve<S>,
      metrics: t.lastResult ?? {},
      checkpoint: t.checkpointObject(t.latestCheckpoint),
      path: t.dir,
      error: t.error,
      metricsHistory: t.results,
    }));
    return new ResultGrid(results, controller.trials.map((t) => t.status), x.metric, x.mode, x.dir);
  }

  /** Whether `dir` holds an experiment Tuner.restore can go on with (an experiment-state.json). */
  static canRestore(dir: string): boolean {
    return canRestore(dir);
  }

  /**
   * The experiment in `dir` (storagePath/name), to go on with: trials that finished are not run
   * again; unfinished ones continue from their latest checkpoint (`resumeUnfinished`, default
   * true); ERROR ones stay so unless `resumeErrored` (from their checkpoint) or `restartErrored`
   * (from the start). The searcher and scheduler of @lux/tune continue from their saved state.
   */
  static restore<C = Record<string, unknown>>(dir: string, trainable: TunerTrainable<C>, options: RestoreOptions = {}): Tuner<ParamSpace> {
    const o = checkRestoreOptions(options);
    const abs = path.resolve(dir);
    const state = readState(abs);
    const searchAlg = searcherFromState(state.searcher);
    const scheduler = schedulerFromState(state.scheduler);
    const tuner = new Tuner<ParamSpace>(trainable as TunerTrainable<Resolve<ParamSpace>>, {
      paramSpace: (state.paramSpace === null ? {} : spaceFromJSON(state.paramSpace)) as ParamSpace,
      tuneConfig: {
        ...(state.metric !== null ? { metric: state.metric } : {}),
        ...(state.mode !== null ? { mode: state.mode } : {}),
        numSamples: state.numSamples,
        ...(state.seed !== null ? { seed: state.seed } : {}),
        ...(state.maxConcurrentTrials !== null ? { maxConcurrentTrials: state.maxConcurrentTrials } : {}),
        ...(state.timeBudgetMs !== null ? { timeBudgetMs: state.timeBudgetMs } : {}),
        reuseActors: state.reuseActors,
        ...(searchAlg !== undefined ? { searchAlg } : {}),
        ...(scheduler !== undefined ? { scheduler } : {}),
      },
      runConfig: {
        name: path.basename(abs),
        storagePath: path.dirname(abs),
        ...(state.stop !== null ? { stop: state.stop } : {}),
        failureConfig: { maxFailures: state.maxFailures, failFast: state.failFast },
        checkpointConfig: Object.fromEntries(Object.entries(state.checkpointConfig).filter(([, v]) => v !== undefined && v !== null)),
        verbose: state.verbose as 0 | 1 | 2,
        progressIntervalMs: state.progressIntervalMs,
      },
    });
    restoreInto(searchAlg, state.searcher);
    restoreInto(scheduler, state.scheduler);
    // Without its searcher (one of another library), a restored experiment makes no new trials.
    const searcherFinished = state.searcherFinished || searchAlg === undefined;
    tuner.restored = { trials: restoredTrials(state, abs, o), searcherFinished, startTime: state.startTime };
    return tuner;
  }
}
