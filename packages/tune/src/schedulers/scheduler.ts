/**
 * The `TrialScheduler` interface: what decides, at each result, whether a trial goes on,
 * pauses (to continue later from its latest checkpoint) or stops; and which waiting trial runs
 * next. A trial's `report()` waits for this decision, so a trial told to stop never reports
 * again.
 */
import { InvalidOptionError } from "lux";
import type { Rng } from "../search/rng.js";
import type { Mode, TrialInfo, TrialResult } from "../types.js";

export type Decision = "CONTINUE" | "PAUSE" | "STOP";

/** What a scheduler sees and may do of the experiment. */
export interface SchedulerContext {
  /** Every trial, in the order they were made. */
  readonly trials: readonly TrialInfo[];
  /** Stops a PAUSED or PENDING trial (TERMINATED): HyperBand ends the trials it does not keep. */
  stop(trial: TrialInfo): void;
  /**
   * PBT: `trial` continues from `source`'s latest checkpoint (copied to its own folder) with
   * `config`; the decision for `trial`'s result must then be PAUSE. False when `source` has no
   * checkpoint.
   */
  exploit(trial: TrialInfo, source: TrialInfo, config: Record<string, unknown>): boolean;
  /** Asks for a checkpoint of `trial` after this result (a class trainable saves one; a function trainable checkpoints when it reports). */
  requestCheckpoint(trial: TrialInfo): void;
  /** Seeded by tuneConfig.seed. */
  readonly rng: Rng;
}

export interface TrialScheduler {
  /** The metric it decides by, if set on it (it must agree with tuneConfig.metric). */
  readonly metric?: string | undefined;
  readonly mode?: Mode | undefined;
  /** tuneConfig's metric and mode, given before the first trial (for a scheduler without its own). */
  setSearchProperties?(metric: string | undefined, mode: Mode | undefined): void;
  onTrialAdd?(ctx: SchedulerContext, trial: TrialInfo): void;
  onTrialResult(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision;
  /** A trial ended (its trainable returned, or it was stopped): its last result. */
  onTrialComplete?(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult | undefined): void;
  onTrialError?(ctx: SchedulerContext, trial: TrialInfo): void;
  /** Of the PENDING and PAUSED trials, the one to run next; undefined: none now. */
  chooseTrialToRun?(ctx: SchedulerContext): TrialInfo | undefined;
}

/** Pending trials first (in order), then paused ones. */
export function firstWaiting(ctx: SchedulerContext, pausedFirst = false): TrialInfo | undefined {
  const pending = ctx.trials.find((t) => t.status === "PENDING");
  const paused = ctx.trials.find((t) => t.status === "PAUSED");
  return pausedFirst ? (paused ?? pending) : (pending ?? paused);
}

/** Options every metric-based scheduler shares. */
export interface MetricOptions {
  /** Default: tuneConfig.metric. */
  metric?: string;
  /** Default: tuneConfig.mode. */
  mode?: Mode;
  /** What measures a trial's progress. Default "trainingIteration". */
  timeAttr?: string;
}

/** The base of the metric-based schedulers: metric, mode and timeAttr checked, and set from tuneConfig where missing. */
export abstract class MetricScheduler implements TrialScheduler {
  metric: string | undefined;
  mode: Mode | undefined;
  readonly timeAttr: string;

  constructor(
    options: MetricOptions,
    protected readonly schedulerName: string,
  ) {
    checkObject(options, schedulerName);
    this.metric = options.metric;
    this.mode = options.mode;
    if (this.metric !== undefined && (typeof this.metric !== "string" || this.metric === "")) invalid(schedulerName, "metric", "a metric's name", this.metric);
    if (this.mode !== undefined && this.mode !== "min" && this.mode !== "max") invalid(schedulerName, "mode", '"min" or "max"', this.mode);
    this.timeAttr = options.timeAttr ?? "trainingIteration";
    if (typeof this.timeAttr !== "string" || this.timeAttr === "") invalid(schedulerName, "timeAttr", "a result field's name", this.timeAttr);
  }

  setSearchProperties(metric: string | undefined, mode: Mode | undefined): void {
    this.metric ??= metric;
    this.mode ??= mode;
  }

  /** The result's metric, signed so that higher is better; undefined when missing. */
  protected score(result: TrialResult | undefined): number | undefined {
    const v = this.metric === undefined ? undefined : (result?.[this.metric] as unknown);
    if (typeof v !== "number" || Number.isNaN(v)) return undefined;
    return this.mode === "min" ? -v : v;
  }

  protected time(result: TrialResult | undefined): number {
    const v = result?.[this.timeAttr] as unknown;
    return typeof v === "number" ? v : 0;
  }

  abstract onTrialResult(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision;
}

export function invalid(scheduler: string, option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option: `${scheduler} ${option}`, expected, received });
}

export function checkObject(options: unknown, scheduler: string): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) invalid(scheduler, "options", "an object", options);
}

export function positive(value: unknown, scheduler: string, option: string, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !(value > 0) || (integer && !Number.isInteger(value))) {
    invalid(scheduler, option, integer ? "a positive integer" : "a positive number", value);
  }
  return value;
}

/** numpy's default percentile: linear interpolation between the closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
