/**
 * The trial controller, in the driver: makes trials from the searcher's suggestions, starts as
 * many as the cluster's resources (and maxConcurrentTrials) hold, in the order the scheduler
 * chooses, records each result (files, searcher, stopper, scheduler) and applies the decision,
 * restarts failed trials within maxFailures, and keeps the experiment state on disk.
 */
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import * as lux from "lux";
import { TrialFailedError } from "lux";
import { checkpointDirName } from "@lux/train/internal";
import { Capacity, addResources, type Resources } from "./capacity.js";
import type { Experiment } from "./experiment.js";
import { ExperimentFiles } from "./experiment-files.js";
import { ProgressPrinter } from "./progress-printer.js";
import { ClassRun } from "./runs/class-run.js";
import { FunctionRun } from "./runs/function-run.js";
import { TrialActorSlot } from "./runs/placement.js";
import type { Outcome, RunHost, RunResult, TrialRun } from "./runs/run.js";
import { TrainerRun } from "./runs/trainer-run.js";
import { firstWaiting, type Decision, type SchedulerContext } from "./schedulers/scheduler.js";
import { Rng } from "./search/rng.js";
import { FINISHED } from "./search/searcher.js";
import { Trial, type TrialCheckpoint } from "./trial.js";
import type { TrialActor } from "./trial-actor.js";
import type { TrialInfo, TrialResult, TrialStatus } from "./types.js";

export class TuneController implements RunHost {
  readonly trials: Trial[];
  private readonly runs = new Map<string, TrialRun>();
  private readonly idle: lux.ActorHandle<TrialActor>[] = [];
  private readonly capacity = new Capacity();
  private readonly ctx: SchedulerContext;
  private readonly files: ExperimentFiles;
  private readonly progress: ProgressPrinter;
  private readonly prefix: string;
  private shipped: lux.Shipped<never> | undefined;
  private wake: (() => void) | undefined;
  /** Something happened since the loop last looked (a run ended, a result came). */
  private dirty = false;
  private fatal: TrialFailedError | undefined;
  private stopping = false;
  private searcherFinished: boolean;
  readonly startTime: number;

  constructor(
    private readonly x: Experiment,
    restored?: { readonly trials: Trial[]; readonly searcherFinished: boolean; readonly startTime: number },
  ) {
    this.trials = restored?.trials ?? [];
    this.searcherFinished = restored?.searcherFinished ?? false;
    this.startTime = restored?.startTime ?? Date.now();
    this.prefix = this.trials[0]?.trialId.split("_")[0] ?? randomBytes(3).toString("hex").slice(0, 5);
    const rng = new Rng(x.tune.seed);
    const self = this;
    this.ctx = {
      get trials(): readonly TrialInfo[] {
        return self.trials;
      },
      stop: (t) => this.stopWaiting(t as Trial),
      exploit: (t, source, config) => this.exploit(t as Trial, source as Trial, config),
      requestCheckpoint: (t) => void ((t as Trial).checkpointRequested = true),
      rng,
    };
    this.files = new ExperimentFiles(x, this);
    this.progress = new ProgressPrinter(x, this);
  }

  /** Resources the running trials reserve (and actors kept for reuse). */
  get used(): Resources {
    let used: Resources = {};
    for (const r of this.runs.values()) used = addResources(used, r.demand);
    return addResources(used, this.x.trainable.demand, this.idle.length);
  }

  get totals(): Resources {
    return this.capacity.total;
  }

  get finished(): boolean {
    return this.searcherFinished;
  }

  /** Runs the experiment to its end; rejects with TrialFailedError (failFast) or InsufficientResourcesError. */
  async run(): Promise<void> {
    const x = this.x;
    await this.capacity.start(`Tuner "${x.run.name}"`, x.trainable.demand);
    if (x.trainable.kind === "function") this.shipped = lux.ship(x.trainable.fn) as lux.Shipped<never>;
    if (x.trainable.kind === "class") this.shipped = lux.ship(x.trainable.cls) as lux.Shipped<never>;
    for (const t of this.trials) x.scheduler.onTrialAdd?.(this.ctx, t);
    if (x.searcherIsDefault) while (this.suggest() !== undefined);
    const timers = this.startTimers();
    try {
      for (;;) {
        this.dirty = false;
        if (!this.stopping && this.fatal === undefined) await this.launch();
        if (this.runs.size === 0) break;
        if (!this.dirty) await new Promise<void>((resolve) => (this.wake = resolve));
      }
      if (this.fatal !== undefined) throw this.fatal;
    } finally {
      for (const t of timers) clearInterval(t);
      await Promise.all(this.idle.splice(0).map(endActor));
      this.files.writeStateNow();
      this.progress.print(true);
    }
  }

  private startTimers(): NodeJS.Timeout[] {
    const x = this.x;
    const timers = [setInterval(() => this.checkStopAll(), 250)];
    if (x.run.verbose >= 1) timers.push(setInterval(() => this.progress.print(false), x.run.progressIntervalMs));
    if (x.tune.timeBudgetMs !== undefined) timers.push(setTimeout(() => this.stopExperiment(), x.tune.timeBudgetMs));
    this.checkStopAll();
    return timers;
  }

  private checkStopAll(): void {
    if (this.x.run.stop?.stopAll() === true) this.stopExperiment();
  }

  /** Starts waiting trials while they fit (on actors that came free first). */
  private async launch(): Promise<void> {
    const max = this.x.tune.maxConcurrentTrials;
    while (!this.stopping && this.fatal === undefined && (max === undefined || this.runs.size < max)) {
      const actor = this.x.trainable.kind !== "trainer" ? this.idle.pop() : undefined;
      if (actor === undefined && !(await this.capacity.fits(this.x.trainable.demand, this.used))) {
        // An actor may have come free while the cluster's totals were read: take it.
        if (this.idle.length > 0) continue;
        break;
      }
      const trial = this.nextTrial();
      if (trial === undefined) {
        if (actor !== undefined) this.idle.push(actor);
        break;
      }
      this.start(trial, actor);
    }
    // Actors no trial can take now (none waits, or maxConcurrentTrials run) give their resources back.
    for (const a of this.idle.splice(0)) void endActor(a);
  }

  private nextTrial(): Trial | undefined {
    // A scheduler that chooses decides alone (HyperBand keeps paused trials waiting for their bracket).
    const scheduler = this.x.scheduler;
    const chosen = (scheduler.chooseTrialToRun !== undefined ? scheduler.chooseTrialToRun(this.ctx) : firstWaiting(this.ctx)) as Trial | undefined;
    if (chosen !== undefined && (chosen.status === "PENDING" || chosen.status === "PAUSED")) return chosen;
    return this.suggest();
  }

  /** A new trial from the searcher, if it has one now. */
  private suggest(): Trial | undefined {
    const x = this.x;
    if (this.searcherFinished) return undefined;
    if (!x.searcherIsDefault && this.trials.length >= x.tune.numSamples) {
      this.searcherFinished = true;
      return undefined;
    }
    const trialId = `${this.prefix}_${String(this.trials.length).padStart(5, "0")}`;
    const config = x.searcher.suggest(trialId);
    if (config === FINISHED) this.searcherFinished = true;
    if (typeof config !== "object" || config === null) return undefined;
    const trialName = `${x.trainable.name}_${trialId}`;
    const trial = new Trial(trialId, trialName, path.join(x.dir, trialName), config, x.run.name);
    this.trials.push(trial);
    this.files.trial(trial).writeParams(config);
    x.scheduler.onTrialAdd?.(this.ctx, trial);
    this.stateChanged(trial);
    return trial;
  }

  private start(trial: Trial, actor: lux.ActorHandle<TrialActor> | undefined): void {
    trial.prepareRun();
    this.files.trial(trial).removeCheckpointsFrom(trial.nextCheckpointIndex);
    const run = this.makeRun(trial, actor);
    this.runs.set(trial.trialId, run);
    this.setStatus(trial, "RUNNING");
    void run.run().then(
      (outcome) => this.ended(trial, outcome),
      (e: unknown) => this.ended(trial, { kind: "failed", error: e instanceof Error ? e : new TypeError(String(e)) }),
    );
  }

  private makeRun(trial: Trial, actor: lux.ActorHandle<TrialActor> | undefined): TrialRun {
    const t = this.x.trainable;
    if (t.kind === "trainer") return new TrainerRun(trial, t.demand, t.trainer, this.x.dir, this);
    const slot = actor !== undefined ? TrialActorSlot.reuse(actor) : TrialActorSlot.create(t.bundles);
    if (t.kind === "class") {
      const checkpointing = { frequency: this.x.run.checkpointFrequency, atEnd: this.x.run.checkpointAtEnd };
      return new ClassRun(trial, t.demand, slot, this.shipped as never, checkpointing, this);
    }
    return new FunctionRun(trial, t.demand, slot, this.shipped as never, this);
  }

  result(trial: Trial, r: RunResult): Decision {
    if (this.stopping || this.fatal !== undefined) return "STOP";
    trial.iteration += 1;
    trial.timeTotalMs = r.timeTotalMs;
    const result: TrialResult = {
      ...r.metrics,
      trainingIteration: trial.iteration,
      timeTotalMs: r.timeTotalMs,
      timeThisIterMs: r.timeThisIterMs,
      trialId: trial.trialId,
      config: trial.config,
      timestamp: Date.now(),
    };
    trial.lastResult = result;
    trial.results.push(result);
    this.files.trial(trial).appendResult(result);
    if (r.checkpoint !== undefined) this.checkpoint(trial, r.checkpoint);
    const x = this.x;
    x.searcher.onTrialResult?.(trial.trialId, result);
    let decision: Decision = x.run.stop?.shouldStop(trial.trialId, result) === true ? "STOP" : x.scheduler.onTrialResult(this.ctx, trial, result);
    if (x.run.stop?.stopAll() === true) {
      this.stopExperiment();
      decision = "STOP";
    }
    // A scheduler's decision may let a waiting trial run (HyperBand's halving): look again.
    this.signal();
    return decision;
  }

  checkpoint(trial: Trial, dir: string): void {
    const files = this.files.trial(trial);
    const c: TrialCheckpoint = { dir, iteration: trial.iteration, timeTotalMs: trial.timeTotalMs, metrics: trial.lastResult ?? {} };
    for (const old of trial.addCheckpoint(c, this.x.run)) files.removeCheckpoint(old);
    const n = Number(/(\d+)$/.exec(dir)?.[1] ?? -1);
    trial.nextCheckpointIndex = Math.max(trial.nextCheckpointIndex, n + 1);
    // Now, before the trial goes on: a driver killed after this resumes the trial from here.
    this.files.writeStateNow();
  }

  release(actor: lux.ActorHandle<unknown>): void {
    if (this.x.tune.reuseActors && !this.stopping && this.fatal === undefined) this.idle.push(actor as lux.ActorHandle<TrialActor>);
    else void endActor(actor as lux.ActorHandle<TrialActor>);
  }

  private ended(trial: Trial, outcome: Outcome): void {
    this.runs.delete(trial.trialId);
    if (outcome.kind === "failed") this.failed(trial, outcome.error);
    else if (outcome.kind === "decided" && outcome.decision === "PAUSE" && !trial.stopRequested && !this.stopping && this.fatal === undefined) this.setStatus(trial, "PAUSED");
    else this.complete(trial);
    this.signal();
  }

  private signal(): void {
    this.dirty = true;
    this.wake?.();
    this.wake = undefined;
  }

  private complete(trial: Trial): void {
    this.setStatus(trial, "TERMINATED");
    this.x.searcher.onTrialComplete?.(trial.trialId, trial.lastResult, false);
    this.x.scheduler.onTrialComplete?.(this.ctx, trial, trial.lastResult);
  }

  private failed(trial: Trial, error: Error): void {
    trial.numFailures++;
    const { maxFailures, failFast } = this.x.run;
    if (!this.stopping && this.fatal === undefined && (maxFailures === -1 || trial.numFailures <= maxFailures)) {
      this.setStatus(trial, "PENDING");
      return;
    }
    trial.error = error;
    this.setStatus(trial, "ERROR");
    this.x.searcher.onTrialComplete?.(trial.trialId, trial.lastResult, true);
    this.x.scheduler.onTrialError?.(this.ctx, trial);
    if (failFast && this.fatal === undefined) {
      this.fatal = new TrialFailedError({ trialId: trial.trialId, failures: trial.numFailures, cause: error });
      for (const r of this.runs.values()) r.abort();
    }
  }

  /** Ends the experiment: running trials end now (TERMINATED), waiting ones stay as they are. */
  private stopExperiment(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const r of this.runs.values()) r.abort();
    this.signal();
  }

  /** A scheduler ends a waiting trial; one still running (its run ending after a PAUSE) ends when its run does. */
  private stopWaiting(trial: Trial): void {
    if (trial.status === "RUNNING") trial.stopRequested = true;
    if (trial.status !== "PAUSED" && trial.status !== "PENDING") return;
    this.complete(trial);
  }

  private exploit(trial: Trial, source: Trial, config: Record<string, unknown>): boolean {
    const from = source.latestCheckpoint;
    if (from === undefined) return false;
    const files = this.files.trial(trial);
    const dir = checkpointDirName(trial.nextCheckpointIndex++);
    files.copyCheckpoint(path.join(source.dir, from.dir), dir);
    trial.config = config;
    files.writeParams(config);
    for (const old of trial.addCheckpoint({ ...from, dir }, this.x.run)) files.removeCheckpoint(old);
    trial.exploited = true;
    this.stateChanged(trial);
    return true;
  }

  private setStatus(trial: Trial, status: TrialStatus): void {
    trial.status = status;
    this.stateChanged(trial);
    this.progress.statusChanged(trial);
  }

  private stateChanged(_trial: Trial): void {
    this.files.writeStateSoon();
  }
}

/** Ends an actor kept for reuse: its Trainable's cleanup (if it holds one), then the actor. */
async function endActor(actor: lux.ActorHandle<TrialActor>): Promise<void> {
  await lux.get(actor.cleanup.remote()).catch(() => undefined);
  await lux.kill(actor).catch(() => undefined);
}
