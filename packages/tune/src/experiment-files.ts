/**
 * The experiment's folder: each trial's files (trial-files.ts) and experiment-state.json,
 * written on each trial status change and each persisted checkpoint (the changes of one turn of
 * the event loop in one write), and at once at the end.
 */
import * as fs from "node:fs";
import type { Experiment } from "./experiment.js";
import { writeState, type ExperimentState } from "./experiment-state.js";
import { PERSIST, persistable, type PersistedSearcher } from "./search/searcher.js";
import { spaceToJSON } from "./search/space.js";
import type { Trial } from "./trial.js";
import { TrialFiles } from "./trial-files.js";

/** What the state is made of, besides the experiment's settings. */
export interface StateSource {
  readonly trials: readonly Trial[];
  readonly finished: boolean;
  readonly startTime: number;
}

function persisted(x: unknown): PersistedSearcher | null {
  return persistable<PersistedSearcher>(x) ? (x[PERSIST]() ?? null) : null;
}

export class ExperimentFiles {
  private readonly byTrial = new Map<string, TrialFiles>();
  private pending: NodeJS.Immediate | undefined;

  constructor(
    private readonly x: Experiment,
    private readonly source: StateSource,
  ) {
    fs.mkdirSync(x.dir, { recursive: true });
  }

  trial(t: Trial): TrialFiles {
    let f = this.byTrial.get(t.trialId);
    if (f === undefined) this.byTrial.set(t.trialId, (f = new TrialFiles(t.dir)));
    return f;
  }

  writeStateSoon(): void {
    this.pending ??= setImmediate(() => this.writeStateNow());
  }

  writeStateNow(): void {
    if (this.pending !== undefined) clearImmediate(this.pending);
    this.pending = undefined;
    writeState(this.x.dir, this.state());
  }

  private state(): ExperimentState {
    const { x, source } = this;
    const r = x.run;
    return {
      version: 1,
      name: r.name,
      trainableName: x.trainable.name,
      startTime: source.startTime,
      metric: x.metric ?? null,
      mode: x.mode ?? null,
      numSamples: x.tune.numSamples,
      seed: x.tune.seed ?? null,
      maxConcurrentTrials: x.tune.maxConcurrentTrials ?? null,
      timeBudgetMs: x.tune.timeBudgetMs ?? null,
      reuseActors: x.tune.reuseActors,
      maxFailures: r.maxFailures,
      failFast: r.failFast,
      checkpointConfig: {
        numToKeep: r.numToKeep,
        checkpointScoreAttribute: r.scoreAttribute,
        checkpointScoreOrder: r.scoreOrder,
        checkpointFrequency: r.checkpointFrequency,
        checkpointAtEnd: r.checkpointAtEnd,
      },
      stop: r.stopThresholds ?? null,
      verbose: r.verbose,
      progressIntervalMs: r.progressIntervalMs,
      paramSpace: spaceToJSON(x.paramSpace) ?? null,
      searcher: persisted(x.searcher),
      searcherFinished: source.finished,
      scheduler: persisted(x.scheduler),
      trials: source.trials.map((t) => t.toJSON()),
    };
  }
}
