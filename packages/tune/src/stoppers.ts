/**
 * Stoppers: when a trial, or the whole experiment, is done. `runConfig.stop` takes an object of
 * thresholds (`{ trainingIteration: 10, acc: 0.98 }`: a trial stops when any is reached, a
 * result's value >= the threshold), a function `(trialId, result) => boolean`, or a Stopper.
 */
import { InvalidOptionError } from "lux";
import { metricOf, type Mode, type TrialResult } from "./types.js";

export interface Stopper {
  /** Whether trial `trialId` stops after `result`. */
  shouldStop(trialId: string, result: TrialResult): boolean;
  /** Whether every trial stops now (asked after each result). */
  stopAll(): boolean;
}

function fail(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}

function positiveInt(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) fail(option, "a positive integer", value);
  return value;
}

/** Stops each trial after `maxIter` results. */
export class MaximumIterationStopper implements Stopper {
  private readonly counts = new Map<string, number>();

  constructor(readonly maxIter: number) {
    positiveInt(maxIter, "MaximumIterationStopper maxIter");
  }

  shouldStop(trialId: string): boolean {
    const n = (this.counts.get(trialId) ?? 0) + 1;
    this.counts.set(trialId, n);
    return n >= this.maxIter;
  }

  stopAll(): boolean {
    return false;
  }
}

export interface TrialPlateauOptions {
  metric: string;
  /** The spread (standard deviation) of the last `numResults` values below which the trial has plateaued. Default 0.01. */
  std?: number;
  /** Results the spread is taken over. Default 4. */
  numResults?: number;
  /** Results before any stop. Default 4. */
  gracePeriod?: number;
  /** Only stop once the metric is at least this good (with mode), if given. */
  metricThreshold?: number;
  /** Needed with metricThreshold. */
  mode?: Mode;
}

function std(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Stops a trial whose metric stopped moving: its last `numResults` values spread less than `std`. */
export class TrialPlateauStopper implements Stopper {
  private readonly options: Required<Omit<TrialPlateauOptions, "metricThreshold" | "mode">> & Pick<TrialPlateauOptions, "metricThreshold" | "mode">;
  private readonly history = new Map<string, number[]>();

  constructor(options: TrialPlateauOptions) {
    if (typeof options?.metric !== "string" || options.metric === "") fail("TrialPlateauStopper metric", "a metric's name", options?.metric);
    if (options.metricThreshold !== undefined && options.mode !== "min" && options.mode !== "max") fail("TrialPlateauStopper mode", '"min" or "max" (with metricThreshold)', options.mode);
    this.options = { std: 0.01, numResults: 4, gracePeriod: 4, ...options };
    positiveInt(this.options.numResults, "TrialPlateauStopper numResults");
  }

  shouldStop(trialId: string, result: TrialResult): boolean {
    const v = metricOf(result, this.options.metric);
    if (v === undefined) return false;
    const values = [...(this.history.get(trialId) ?? []), v];
    this.history.set(trialId, values);
    const { numResults, gracePeriod, metricThreshold, mode } = this.options;
    if (values.length < Math.max(gracePeriod, numResults)) return false;
    if (metricThreshold !== undefined && (mode === "min" ? v > metricThreshold : v < metricThreshold)) return false;
    return std(values.slice(-numResults)) <= this.options.std;
  }

  stopAll(): boolean {
    return false;
  }
}

export interface ExperimentPlateauOptions {
  metric: string;
  /** The spread of the `top` best values below which the experiment has plateaued. Default 0.001. */
  std?: number;
  /** Best values the spread is taken over. Default 10. */
  top?: number;
  /** Default "min". */
  mode?: Mode;
  /** Results in a row on the plateau before stopping. Default 0. */
  patience?: number;
}

/** Stops the experiment when its `top` best results stopped improving (they spread less than `std`). */
export class ExperimentPlateauStopper implements Stopper {
  private readonly best: number[] = [];
  private readonly options: Required<ExperimentPlateauOptions>;
  private onPlateau = 0;

  constructor(options: ExperimentPlateauOptions) {
    if (typeof options?.metric !== "string" || options.metric === "") fail("ExperimentPlateauStopper metric", "a metric's name", options?.metric);
    this.options = { std: 0.001, top: 10, mode: "min", patience: 0, ...options };
    if (this.options.mode !== "min" && this.options.mode !== "max") fail("ExperimentPlateauStopper mode", '"min" or "max"', this.options.mode);
    positiveInt(this.options.top, "ExperimentPlateauStopper top");
  }

  shouldStop(_trialId: string, result: TrialResult): boolean {
    const v = metricOf(result, this.options.metric);
    if (v === undefined) return false;
    this.best.push(v);
    this.best.sort((a, b) => (this.options.mode === "min" ? a - b : b - a));
    this.best.splice(this.options.top);
    const flat = this.best.length >= this.options.top && std(this.best) <= this.options.std;
    this.onPlateau = flat ? this.onPlateau + 1 : 0;
    return false;
  }

  stopAll(): boolean {
    return this.best.length >= this.options.top && this.onPlateau > this.options.patience;
  }
}

/** Stops the experiment `ms` milliseconds after its first result's stopper check (its start, in effect). */
export class TimeoutStopper implements Stopper {
  private startedAt: number | undefined;

  constructor(readonly ms: number) {
    if (typeof ms !== "number" || !(ms > 0)) fail("TimeoutStopper ms", "a positive number of milliseconds", ms);
  }

  /** Starts the clock (the Tuner calls it when fit() starts). */
  start(now = Date.now()): void {
    this.startedAt ??= now;
  }

  shouldStop(): boolean {
    this.start();
    return false;
  }

  stopAll(): boolean {
    this.start();
    return Date.now() - (this.startedAt as number) >= this.ms;
  }
}

/** Stops when any of its stoppers does. */
export class CombinedStopper implements Stopper {
  readonly stoppers: readonly Stopper[];

  constructor(...stoppers: Stopper[]) {
    stoppers.forEach((s, i) => {
      if (typeof s?.shouldStop !== "function" || typeof s.stopAll !== "function") fail(`CombinedStopper stopper ${i}`, "a Stopper", s);
    });
    this.stoppers = stoppers;
  }

  shouldStop(trialId: string, result: TrialResult): boolean {
    // Every stopper sees every result (they keep histories), so no short-circuit.
    return this.stoppers.map((s) => s.shouldStop(trialId, result)).some(Boolean);
  }

  stopAll(): boolean {
    return this.stoppers.some((s) => s.stopAll());
  }
}

/** What `runConfig.stop` takes. */
export type StopCondition = Record<string, number> | ((trialId: string, result: TrialResult) => boolean) | Stopper;

/** `runConfig.stop` as a Stopper. */
export function toStopper(stop: unknown): Stopper | undefined {
  if (stop === undefined) return undefined;
  if (typeof stop === "function") {
    const fn = stop as (trialId: string, result: TrialResult) => boolean;
    return { shouldStop: (id, r) => fn(id, r) === true, stopAll: () => false };
  }
  if (typeof (stop as Partial<Stopper> | null)?.shouldStop === "function" && typeof (stop as Partial<Stopper>).stopAll === "function") return stop as Stopper;
  if (typeof stop !== "object" || stop === null || Array.isArray(stop)) fail("runConfig.stop", "an object of thresholds, a function (trialId, result) => boolean, or a Stopper", stop);
  const thresholds = Object.entries(stop as Record<string, unknown>);
  for (const [k, v] of thresholds) if (typeof v !== "number" || Number.isNaN(v)) fail(`runConfig.stop.${k}`, "a number (the trial stops once its result reaches it)", v);
  return { shouldStop: (_id, r) => thresholds.some(([k, v]) => (metricOf(r, k) ?? -Infinity) >= (v as number)), stopAll: () => false };
}
