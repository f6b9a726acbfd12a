/**
 * A Tuner's options (Ray Tune's TuneConfig and RunConfig), checked once by the constructor and
 * compiled into a fully-defaulted form. A bad one throws InvalidOptionError naming the field
 * (`tuneConfig.mode`, `runConfig.failureConfig.maxFailures`, …).
 */
import * as os from "node:os";
import * as path from "node:path";
import type { TrialScheduler } from "./schedulers/scheduler.js";
import type { Searcher } from "./search/searcher.js";
import type { ParamSpace } from "./search/space.js";
import { checkSpace, isPlainObject } from "./search/space.js";
import { toStopper, type StopCondition, type Stopper } from "./stoppers.js";
import type { Mode } from "./types.js";
import { checkKeys, fail } from "./config-checks.js";

export interface TuneConfig {
  /** The metric trials are compared by (schedulers, searchers, the best result). */
  metric?: string;
  mode?: Mode;
  /** Trials (with grid search: times the grid). Default 1. */
  numSamples?: number;
  /** Default: BasicVariantGenerator (random and grid search). */
  searchAlg?: Searcher;
  /** Default: FIFOScheduler. */
  scheduler?: TrialScheduler;
  /** Trials running at once, at most. Default: as many as the cluster's resources hold. */
  maxConcurrentTrials?: number;
  /** After this long the experiment stops (running trials end, TERMINATED). */
  timeBudgetMs?: number;
  /** Seeds the default searcher (and one without a seed of its own), and the schedulers' draws. */
  seed?: number;
  /** A function trial's actor takes the next trial when its own ended. Default true. */
  reuseActors?: boolean;
}

export interface FailureConfig {
  /** Restarts of a trial from its last checkpoint after a throw or an actor's death; -1: unlimited. Default 0. */
  maxFailures?: number;
  /** fit() rejects at the first trial that fails for good (TrialFailedError). Default false. */
  failFast?: boolean;
}

export interface CheckpointConfig {
  /** Per trial, keep this many checkpoints (the best by score, else the latest; the latest always). Default: all. */
  numToKeep?: number;
  checkpointScoreAttribute?: string;
  /** Default "max". */
  checkpointScoreOrder?: Mode;
  /** A class trainable saves every this many results. Default 0 (never on a schedule). */
  checkpointFrequency?: number;
  /** A class trainable saves at its end. Default false. */
  checkpointAtEnd?: boolean;
}

export interface RunConfig {
  /** The experiment's folder name under storagePath. Default `<trainable>_<date>_<time>`. */
  name?: string;
  /** Default `~/lux_results`. Trial actors write there: every node must reach it. */
  storagePath?: string;
  /** When a trial stops: thresholds (any reached), a function (trialId, result) => boolean, or a Stopper. */
  stop?: StopCondition;
  failureConfig?: FailureConfig;
  checkpointConfig?: CheckpointConfig;
  /** 0: silent; 1 (default): the progress table; 2: also a line per trial status change. */
  verbose?: 0 | 1 | 2;
  /** How often the progress table is printed. Default 5000. */
  progressIntervalMs?: number;
}

export interface TunerOptions<S extends ParamSpace = ParamSpace> {
  paramSpace?: S;
  tuneConfig?: TuneConfig;
  runConfig?: RunConfig;
}

export interface CompiledRun {
  readonly name: string;
  readonly storagePath: string;
  readonly stop: Stopper | undefined;
  /** runConfig.stop when it is thresholds (kept in the experiment state). */
  readonly stopThresholds: Record<string, number> | undefined;
  readonly maxFailures: number;
  readonly failFast: boolean;
  readonly numToKeep: number | undefined;
  readonly scoreAttribute: string | undefined;
  readonly scoreOrder: Mode;
  readonly checkpointFrequency: number;
  readonly checkpointAtEnd: boolean;
  readonly verbose: number;
  readonly progressIntervalMs: number;
}

export interface CompiledTune {
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
  readonly numSamples: number;
  readonly searchAlg: Searcher | undefined;
  readonly scheduler: TrialScheduler | undefined;
  readonly maxConcurrentTrials: number | undefined;
  readonly timeBudgetMs: number | undefined;
  readonly seed: number | undefined;
  readonly reuseActors: boolean;
}

const TUNE_KEYS = ["metric", "mode", "numSamples", "searchAlg", "scheduler", "maxConcurrentTrials", "timeBudgetMs", "seed", "reuseActors"];
const RUN_KEYS = ["name", "storagePath", "stop", "failureConfig", "checkpointConfig", "verbose", "progressIntervalMs"];
const CHECKPOINT_KEYS = ["numToKeep", "checkpointScoreAttribute", "checkpointScoreOrder", "checkpointFrequency", "checkpointAtEnd"];

function optionalInt(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) fail(field, min === 0 ? "an integer >= 0" : `an integer >= ${min}`, value);
  return value;
}

function optionalPositive(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || !(value > 0)) fail(field, "a positive number", value);
  return value;
}

function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") fail(field, "true or false", value);
  return value;
}

export function compileTuneConfig(value: unknown): CompiledTune {
  const c = checkKeys(value ?? {}, "tuneConfig", TUNE_KEYS);
  const metric = c["metric"];
  if (metric !== undefined && (typeof metric !== "string" || metric === "")) fail("tuneConfig.metric", "a metric's name", metric);
  const mode = c["mode"];
  if (mode !== undefined && mode !== "min" && mode !== "max") fail("tuneConfig.mode", '"min" or "max"', mode);
  const searchAlg = c["searchAlg"];
  if (searchAlg !== undefined && typeof (searchAlg as Partial<Searcher> | null)?.suggest !== "function") fail("tuneConfig.searchAlg", "a Searcher (with suggest(trialId))", searchAlg);
  const scheduler = c["scheduler"];
  if (scheduler !== undefined && typeof (scheduler as Partial<TrialScheduler> | null)?.onTrialResult !== "function") fail("tuneConfig.scheduler", "a TrialScheduler (with onTrialResult)", scheduler);
  const seed = c["seed"];
  if (seed !== undefined && (typeof seed !== "number" || !Number.isFinite(seed))) fail("tuneConfig.seed", "a finite number", seed);
  return {
    metric: metric as string | undefined,
    mode: mode as Mode | undefined,
    numSamples: optionalInt(c["numSamples"], "tuneConfig.numSamples", 1) ?? 1,
    searchAlg: searchAlg as Searcher | undefined,
    scheduler: scheduler as TrialScheduler | undefined,
    maxConcurrentTrials: optionalInt(c["maxConcurrentTrials"], "tuneConfig.maxConcurrentTrials", 1),
    timeBudgetMs: optionalPositive(c["timeBudgetMs"], "tuneConfig.timeBudgetMs"),
    seed: seed as number | undefined,
    reuseActors: optionalBoolean(c["reuseActors"], "tuneConfig.reuseActors", true),
  };
}

export function compileRunConfig(value: unknown, trainableName: string): CompiledRun {
  const r = checkKeys(value ?? {}, "runConfig", RUN_KEYS);
  const name = r["name"] === undefined ? defaultName(trainableName) : r["name"];
  if (typeof name !== "string" || name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) fail("runConfig.name", "a non-empty folder name (no / or \\)", name);
  const storagePath = r["storagePath"] ?? path.join(os.homedir(), "lux_results");
  if (typeof storagePath !== "string" || storagePath === "") fail("runConfig.storagePath", "a folder's path", storagePath);
  const failure = checkKeys(r["failureConfig"] ?? {}, "runConfig.failureConfig", ["maxFailures", "failFast"]);
  const cp = checkKeys(r["checkpointConfig"] ?? {}, "runConfig.checkpointConfig", CHECKPOINT_KEYS);
  const attribute = cp["checkpointScoreAttribute"];
  if (attribute !== undefined && (typeof attribute !== "string" || attribute === "")) fail("runConfig.checkpointConfig.checkpointScoreAttribute", "a metric's name", attribute);
  const order = cp["checkpointScoreOrder"] ?? "max";
  if (order !== "min" && order !== "max") fail("runConfig.checkpointConfig.checkpointScoreOrder", '"min" or "max"', order);
  const verbose = r["verbose"] ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) fail("runConfig.verbose", "0, 1 or 2", verbose);
  const stop = r["stop"];
  return {
    name,
    storagePath: path.resolve(storagePath),
    stop: toStopper(stop),
    stopThresholds: isPlainObject(stop) && typeof (stop as { shouldStop?: unknown }).shouldStop !== "function" ? (stop as Record<string, number>) : undefined,
    maxFailures: optionalInt(failure["maxFailures"], "runConfig.failureConfig.maxFailures", -1) ?? 0,
    failFast: optionalBoolean(failure["failFast"], "runConfig.failureConfig.failFast", false),
    numToKeep: optionalInt(cp["numToKeep"], "runConfig.checkpointConfig.numToKeep", 1),
    scoreAttribute: attribute as string | undefined,
    scoreOrder: order,
    checkpointFrequency: optionalInt(cp["checkpointFrequency"], "runConfig.checkpointConfig.checkpointFrequency", 0) ?? 0,
    checkpointAtEnd: optionalBoolean(cp["checkpointAtEnd"], "runConfig.checkpointConfig.checkpointAtEnd", false),
    verbose,
    progressIntervalMs: optionalPositive(r["progressIntervalMs"], "runConfig.progressIntervalMs") ?? 5000,
  };
}

export function compileParamSpace(value: unknown): ParamSpace {
  return value === undefined ? {} : checkSpace(value, "paramSpace");
}

/** `objective_2026-12-08_14-03-59` (local time), as Ray names experiments. */
function defaultName(trainableName: string): string {
  const d = new Date();
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${trainableName}_${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}`;
}
