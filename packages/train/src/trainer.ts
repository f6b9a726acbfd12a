/**
 * `DataParallelTrainer`: runs the user's training loop on N workers (gang-scheduled actors in a
 * placement group, one rank each), with a shard of each dataset, collectives among them, and
 * reports that persist checkpoints. A failure of any worker tears the group down and starts it
 * again from the latest checkpoint, within `failureConfig.maxFailures`.
 */
import * as path from "node:path";
import * as lux from "lux";
import { TrainingFailedError, WorkerGroupError } from "lux";
import type { DataIterator } from "@lux/data";
import type { BackendContext } from "./backend.js";
import { compileOptions, type CompiledOptions, type DataParallelTrainerOptions } from "./config.js";
import { checkFeasible, warnIfNoCpuForData } from "./resources.js";
import type { Result } from "./result.js";
import { RunAttempt, type AttemptSpec } from "./run-attempt.js";
import { currentReportHost } from "./report-host.js";
import { RunRecord } from "./run-record.js";
import type { WorkerSetup } from "./train-worker.js";
import { WorkerGroup } from "./worker-group.js";

/** The loop each worker runs, with `trainLoopConfig`. */
export type TrainLoop<C> = (config: C) => void | Promise<void>;

export class DataParallelTrainer<C = Record<string, unknown>> {
  /** The options, checked and defaulted. */
  protected readonly options: CompiledOptions;

  /**
   * `loop` runs in every worker: declare it at the top level of a module (or inside `lux.main`
   * in the entry script), as it is shipped with `lux.ship`. Bad options throw
   * InvalidOptionError here, naming the field.
   */
  constructor(
    private readonly loop: TrainLoop<C>,
    options: DataParallelTrainerOptions<C> = {},
  ) {
    if (typeof loop !== "function") throw new TypeError(`${new.target.name} takes the training loop (a function) first, got ${typeof loop}`);
    this.options = compileOptions(options, new.target.name);
  }

  /** What each worker runs before the loop, every time the group starts (a subclass's setup). */
  protected workerSetup(): WorkerSetup | undefined {
    return undefined;
  }

  /**
   * Trains: resolves with the run's result once every worker's loop returned. Rejects at once
   * with InsufficientResourcesError when the cluster can never hold the workers, and with
   * TrainingFailedError once the group failed more than `maxFailures` times. Starts a local
   * cluster first if this process is not connected to one (`lux.init()`).
   */
  async fit(): Promise<Result> {
    if (!lux.isInitialized()) await lux.init();
    const o = this.options;
    await checkFeasible(`${this.constructor.name} "${o.name}"`, o.numWorkers, o.bundle, o.placementStrategy);
    await warnIfNoCpuForData(o.numWorkers, o.bundle, Object.keys(o.datasets).length);
    const policy = { numToKeep: o.numToKeep, scoreAttribute: o.scoreAttribute, scoreOrder: o.scoreOrder };
    const record = await RunRecord.open(path.join(o.storagePath, o.name), policy, o.resumeFromCheckpoint, currentReportHost());
    const context: BackendContext = { experimentName: o.name, path: record.path, worldSize: o.numWorkers };
    const spec = { loop: lux.ship(this.loop) as lux.Shipped<(config: unknown) => unknown>, config: o.trainLoopConfig, setup: this.workerSetup() };
    await o.backend.onStart?.(context);
    let trainingStarted = false;
    // Once: when the first group that starts is up (a group whose workers died starting is not).
    const started = async (): Promise<void> => {
      if (trainingStarted) return;
      trainingStarted = true;
      await o.backend.onTrainingStart?.(context);
    };
    try {
      await this.train(record, spec, started);
      return record.result();
    } finally {
      await o.backend.onShutdown?.(context);
    }
  }

  /** Runs worker groups until one finishes, or the failures are past the budget. */
  private async train(record: RunRecord, spec: Pick<AttemptSpec, "loop" | "config" | "setup">, started: () => Promise<void>): Promise<void> {
    const o = this.options;
    let failures = 0;
    for (;;) {
      const errors = await this.attempt(record, spec, started);
      if (errors === undefined) return;
      if (record.hostError !== undefined) throw record.hostError;
      failures++;
      if (o.maxFailures !== -1 && failures > o.maxFailures) {
        throw new TrainingFailedError({ runName: o.name, failures, maxFailures: o.maxFailures, cause: new WorkerGroupError({ errors }) });
      }
      await record.restart();
    }
  }

  /** One worker group, from start to shutdown: the failed ranks' errors, or undefined when it finished. */
  private async attempt(record: RunRecord, spec: Pick<AttemptSpec, "loop" | "config" | "setup">, started: () => Promise<void>): Promise<Map<number, Error> | undefined> {
    const o = this.options;
    // Fresh splits for each group: a split a dead worker was reading cannot be read again.
    const shards = Object.fromEntries(Object.entries(o.datasets).map(([name, ds]) => [name, ds.streamingSplit(o.numWorkers, { equal: true }) as DataIterator<never>[]]));
    let group: WorkerGroup | undefined;
    try {
      const made = await WorkerGroup.start({ numWorkers: o.numWorkers, bundle: o.bundle, placementStrategy: o.placementStrategy, experimentName: o.name });
      if (made instanceof Map) return made;
      group = made;
      await started();
      const full: AttemptSpec = { ...spec, collectiveTimeoutMs: o.collectiveTimeoutMs, shards, scoreAttribute: o.scoreAttribute };
      return await new RunAttempt(group, record).run(full);
    } finally {
      await group?.shutdown();
      await Promise.allSettled(Object.values(shards).map((its) => lux.kill((its[0] as DataIterator<never>).coordinator)));
    }
  }
}
