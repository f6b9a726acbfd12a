/**
 * A trial as the driver keeps it: its config, status, results, checkpoints (kept per
 * checkpointConfig), failures and error; and what it continues from when it runs again (its
 * latest checkpoint, or the one PBT copied in). Written to the experiment state as `toJSON()`.
 */
import * as path from "node:path";
import { Checkpoint } from "@lux/train";
import type { TrialContext } from "./context.js";
import type { Metrics } from "./metrics.js";
import type { Mode, TrialInfo, TrialResult, TrialStatus } from "./types.js";
import { metricOf } from "./types.js";

/** A persisted checkpoint of a trial. */
export interface TrialCheckpoint {
  /** Its folder's name in the trial's folder, e.g. "checkpoint_000003". */
  readonly dir: string;
  /** The trainingIteration and timeTotalMs it was made at: a trial continuing from it goes on from there. */
  readonly iteration: number;
  readonly timeTotalMs: number;
  readonly metrics: Metrics;
}

/** A trial's error as the experiment state keeps it. */
export interface ErrorRecord {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
}

export interface TrialJSON {
  readonly trialId: string;
  readonly trialName: string;
  readonly status: TrialStatus;
  readonly config: Record<string, unknown>;
  readonly iteration: number;
  readonly timeTotalMs: number;
  readonly lastResult: TrialResult | null;
  readonly checkpoints: readonly TrialCheckpoint[];
  readonly restoreFrom: TrialCheckpoint | null;
  readonly nextCheckpointIndex: number;
  readonly numFailures: number;
  readonly error: ErrorRecord | null;
}

/** Which checkpoints a trial keeps. */
export interface RetentionPolicy {
  readonly numToKeep: number | undefined;
  readonly scoreAttribute: string | undefined;
  readonly scoreOrder: Mode;
}

export function errorRecord(e: Error): ErrorRecord {
  return { name: e.name, message: e.message, stack: e.stack };
}

/** An error object from its record (a restored trial's). */
export function errorFromRecord(r: ErrorRecord): Error {
  return Object.assign(Object.create(Error.prototype) as Error, { name: r.name, message: r.message, stack: r.stack });
}

export class Trial implements TrialInfo {
  status: TrialStatus = "PENDING";
  lastResult: TrialResult | undefined;
  /** Every result, in order (with those made again after a restart). */
  results: TrialResult[] = [];
  /** Results so far: trainingIteration of the latest. */
  iteration = 0;
  timeTotalMs = 0;
  checkpoints: TrialCheckpoint[] = [];
  /** What the current run started from: the latest checkpoint when it started (PBT's exploit copies one in as the latest). */
  restoreFrom: TrialCheckpoint | undefined;
  nextCheckpointIndex = 0;
  numFailures = 0;
  error: Error | undefined;
  /** Set by a scheduler for this result: save a checkpoint (class trainables). */
  checkpointRequested = false;
  /** A scheduler ended it while its run was ending: it is TERMINATED rather than PAUSED. */
  stopRequested = false;
  /** PBT gave it another trial's checkpoint (and config) at this result: it must not save its own over it. */
  exploited = false;

  constructor(
    readonly trialId: string,
    readonly trialName: string,
    /** Absolute. */
    readonly dir: string,
    public config: Record<string, unknown>,
    readonly experimentName: string,
  ) {}

  get hasCheckpoint(): boolean {
    return this.checkpoints.length > 0;
  }

  get context(): TrialContext {
    return { trialId: this.trialId, trialName: this.trialName, trialDir: this.dir, experimentName: this.experimentName };
  }

  get latestCheckpoint(): TrialCheckpoint | undefined {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  checkpointObject(c: TrialCheckpoint | undefined): Checkpoint | undefined {
    return c === undefined ? undefined : Checkpoint.fromDirectory(path.join(this.dir, c.dir));
  }

  /** Before a run: continue from the latest checkpoint, else from the start. */
  prepareRun(): void {
    this.exploited = false;
    this.stopRequested = false;
    this.restoreFrom = this.latestCheckpoint;
    this.iteration = this.restoreFrom?.iteration ?? 0;
    this.timeTotalMs = this.restoreFrom?.timeTotalMs ?? 0;
  }

  /** Registers a persisted checkpoint; returns the folders no longer kept (to delete). */
  addCheckpoint(c: TrialCheckpoint, policy: RetentionPolicy): string[] {
    this.checkpoints.push(c);
    const { numToKeep, scoreAttribute, scoreOrder } = policy;
    if (numToKeep === undefined || this.checkpoints.length <= numToKeep) return [];
    const score = (k: TrialCheckpoint): number => {
      const v = scoreAttribute === undefined ? k.iteration : metricOf(k.metrics, scoreAttribute);
      if (v === undefined) return -Infinity;
      return scoreAttribute !== undefined && scoreOrder === "min" ? -v : v;
    };
    // The latest stays whatever its score: a restart continues from it.
    const ranked = this.checkpoints.slice(0, -1).sort((a, b) => score(b) - score(a));
    const dropped = ranked.slice(Math.max(0, numToKeep - 1));
    this.checkpoints = this.checkpoints.filter((k) => !dropped.includes(k));
    return dropped.map((k) => k.dir);
  }

  toJSON(): TrialJSON {
    return {
      trialId: this.trialId,
      trialName: this.trialName,
      status: this.status,
      config: this.config,
      iteration: this.iteration,
      timeTotalMs: this.timeTotalMs,
      lastResult: this.lastResult ?? null,
      checkpoints: this.checkpoints,
      restoreFrom: this.restoreFrom ?? null,
      nextCheckpointIndex: this.nextCheckpointIndex,
      numFailures: this.numFailures,
      error: this.error === undefined ? null : errorRecord(this.error),
    };
  }

  static fromJSON(j: TrialJSON, experimentDir: string, experimentName: string): Trial {
    const t = new Trial(j.trialId, j.trialName, path.join(experimentDir, j.trialName), j.config, experimentName);
    t.status = j.status;
    t.iteration = j.iteration;
    t.timeTotalMs = j.timeTotalMs;
    t.lastResult = j.lastResult ?? undefined;
    t.checkpoints = [...j.checkpoints];
    t.restoreFrom = j.restoreFrom ?? undefined;
    t.nextCheckpointIndex = j.nextCheckpointIndex;
    t.numFailures = j.numFailures;
    t.error = j.error === null ? undefined : errorFromRecord(j.error);
    return t;
  }
}
