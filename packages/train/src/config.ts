/**
 * A trainer's options (Ray Train's ScalingConfig, RunConfig, CheckpointConfig, FailureConfig),
 * checked once by the constructor and compiled into a fully-defaulted form. A bad one throws
 * InvalidOptionError naming the field (e.g. `scalingConfig.numWorkers`).
 */
import * as os from "node:os";
import * as path from "node:path";
import type { Dataset } from "@lux/data";
import type { PlacementStrategy } from "lux";
import type { TrainBackend } from "./backend.js";
import type { Checkpoint } from "./checkpoint.js";
import { checkKeys, checkBackend, checkCheckpoint, checkDatasets, checkName, checkResources, fail } from "./config-checks.js";

/** How many workers, and what each holds. */
export interface ScalingConfig {
  /** Training workers (actors), one rank each. Default 1. */
  numWorkers?: number;
  /** Give each worker a GPU (`GPU: 1` unless `resourcesPerWorker` says how many). Default false. */
  useGpu?: boolean;
  /** What each worker reserves, e.g. `{ CPU: 2 }`. Default `{ CPU: 1 }` (plus `GPU: 1` with useGpu). */
  resourcesPerWorker?: Record<string, number>;
  /** How the workers' bundles are placed (a placement group). Default "PACK". */
  placementStrategy?: PlacementStrategy;
}

/** A dataset of any row type (`Dataset<R>` is invariant in R: its map takes a function of R). */
export type AnyDataset = Dataset<any>;

/** Which checkpoints stay on disk. */
export interface CheckpointConfig {
  /** Keep this many (the best by score, else the latest); the others are deleted. Default: all. */
  numToKeep?: number;
  /** The metric (of rank 0's report) that scores a checkpoint. Default: none (the latest are best). */
  checkpointScoreAttribute?: string;
  /** Whether a lower ("min") or higher ("max", default) score is better. */
  checkpointScoreOrder?: "min" | "max";
}

/** How often the worker group may fail and be restarted from the latest checkpoint. */
export interface FailureConfig {
  /** Failures allowed (a throw or a process death of any worker counts); -1: unlimited. Default 0. */
  maxFailures?: number;
}

/** Where the run goes and how it is kept. */
export interface RunConfig {
  /** The run's name: its folder under storagePath. Default `DataParallelTrainer_<date>_<time>`. */
  name?: string;
  /** The folder runs go in; every worker's node must reach it (a shared filesystem). Default `~/lux_results`. */
  storagePath?: string;
  failureConfig?: FailureConfig;
  checkpointConfig?: CheckpointConfig;
}

/** Options of `new DataParallelTrainer(loop, options)`. */
export interface DataParallelTrainerOptions<C = Record<string, unknown>> {
  /** What each worker's loop is called with. */
  trainLoopConfig?: C;
  scalingConfig?: ScalingConfig;
  runConfig?: RunConfig;
  /** Datasets split among the workers: `train.getDatasetShard(name)` in a worker. */
  datasets?: Record<string, AnyDataset>;
  /** A checkpoint `train.getCheckpoint()` returns from the start (until the run reports one). */
  resumeFromCheckpoint?: Checkpoint;
  backend?: TrainBackend;
  /** How long a `train.collective` operation waits for the other ranks before it fails. Default 60000. */
  collectiveTimeoutMs?: number;
}

/** The options, checked and defaulted. */
export interface CompiledOptions {
  readonly trainLoopConfig: unknown;
  readonly numWorkers: number;
  /** Each worker's bundle. */
  readonly bundle: Record<string, number>;
  readonly placementStrategy: PlacementStrategy;
  readonly name: string;
  readonly storagePath: string;
  readonly maxFailures: number;
  readonly numToKeep: number | undefined;
  readonly scoreAttribute: string | undefined;
  readonly scoreOrder: "min" | "max";
  readonly datasets: Record<string, AnyDataset>;
  readonly resumeFromCheckpoint: Checkpoint | undefined;
  readonly backend: TrainBackend;
  readonly collectiveTimeoutMs: number;
}

const TOP_KEYS = ["trainLoopConfig", "scalingConfig", "runConfig", "datasets", "resumeFromCheckpoint", "backend", "collectiveTimeoutMs"];
const SCALING_KEYS = ["numWorkers", "useGpu", "resourcesPerWorker", "placementStrategy"];
const RUN_KEYS = ["name", "storagePath", "failureConfig", "checkpointConfig"];
const STRATEGIES: readonly PlacementStrategy[] = ["PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"];

/** Checks `options` (every field, every unknown key) and fills in the defaults. */
export function compileOptions(options: unknown, trainerName: string): CompiledOptions {
  const top = checkKeys(options ?? {}, "options", TOP_KEYS);
  const scaling = compileScaling(top["scalingConfig"]);
  const run = compileRun(top["runConfig"], trainerName);
  const timeout = top["collectiveTimeoutMs"] ?? 60_000;
  if (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout)) fail("collectiveTimeoutMs", "a positive number of milliseconds", timeout);
  return {
    trainLoopConfig: top["trainLoopConfig"] ?? {},
    ...scaling,
    ...run,
    datasets: checkDatasets(top["datasets"]),
    resumeFromCheckpoint: checkCheckpoint(top["resumeFromCheckpoint"], "resumeFromCheckpoint"),
    backend: checkBackend(top["backend"]),
    collectiveTimeoutMs: timeout,
  };
}

function compileScaling(value: unknown): Pick<CompiledOptions, "numWorkers" | "bundle" | "placementStrategy"> {
  const s = checkKeys(value ?? {}, "scalingConfig", SCALING_KEYS);
  const numWorkers = s["numWorkers"] ?? 1;
  if (typeof numWorkers !== "number" || !Number.isInteger(numWorkers) || numWorkers < 1) {
    fail("scalingConfig.numWorkers", "a positive integer", numWorkers);
  }
  const useGpu = s["useGpu"] ?? false;
  if (typeof useGpu !== "boolean") fail("scalingConfig.useGpu", "true or false", useGpu);
  const bundle = checkResources(s["resourcesPerWorker"] ?? { CPU: 1 }, "scalingConfig.resourcesPerWorker");
  if (useGpu && bundle["GPU"] === undefined) bundle["GPU"] = 1;
  if (!useGpu && (bundle["GPU"] ?? 0) > 0) {
    fail("scalingConfig.useGpu", "true when resourcesPerWorker asks for GPUs (or take GPU out of resourcesPerWorker)", useGpu);
  }
  const strategy = s["placementStrategy"] ?? "PACK";
  if (!STRATEGIES.includes(strategy as PlacementStrategy)) {
    fail("scalingConfig.placementStrategy", `one of ${STRATEGIES.map((x) => `"${x}"`).join(", ")}`, strategy);
  }
  return { numWorkers, bundle, placementStrategy: strategy as PlacementStrategy };
}

type RunPart = Pick<CompiledOptions, "name" | "storagePath" | "maxFailures" | "numToKeep" | "scoreAttribute" | "scoreOrder">;

function compileRun(value: unknown, trainerName: string): RunPart {
  const r = checkKeys(value ?? {}, "runConfig", RUN_KEYS);
  const name = r["name"] === undefined ? defaultName(trainerName) : checkName(r["name"]);
  const storagePath = r["storagePath"] ?? path.join(os.homedir(), "lux_results");
  if (typeof storagePath !== "string" || storagePath === "") fail("runConfig.storagePath", "a folder's path", storagePath);
  const failure = checkKeys(r["failureConfig"] ?? {}, "runConfig.failureConfig", ["maxFailures"]);
  const maxFailures = failure["maxFailures"] ?? 0;
  if (typeof maxFailures !== "number" || !Number.isInteger(maxFailures) || maxFailures < -1) {
    fail("runConfig.failureConfig.maxFailures", "an integer >= 0, or -1 for unlimited", maxFailures);
  }
  return { name, storagePath: path.resolve(storagePath), maxFailures, ...compileCheckpointConfig(r["checkpointConfig"]) };
}

function compileCheckpointConfig(value: unknown): Pick<CompiledOptions, "numToKeep" | "scoreAttribute" | "scoreOrder"> {
  const field = "runConfig.checkpointConfig";
  const c = checkKeys(value ?? {}, field, ["numToKeep", "checkpointScoreAttribute", "checkpointScoreOrder"]);
  const numToKeep = c["numToKeep"];
  if (numToKeep !== undefined && (typeof numToKeep !== "number" || !Number.isInteger(numToKeep) || numToKeep < 1)) {
    fail(`${field}.numToKeep`, "a positive integer", numToKeep);
  }
  const attribute = c["checkpointScoreAttribute"];
  if (attribute !== undefined && (typeof attribute !== "string" || attribute === "")) fail(`${field}.checkpointScoreAttribute`, "a metric's name", attribute);
  const order = c["checkpointScoreOrder"] ?? "max";
  if (order !== "min" && order !== "max") fail(`${field}.checkpointScoreOrder`, '"min" or "max"', order);
  return { numToKeep: numToKeep as number | undefined, scoreAttribute: attribute as string | undefined, scoreOrder: order };
}

/** `DataParallelTrainer_2026-12-08_14-03-59` (local time), as Ray names runs. */
function defaultName(trainerName: string): string {
  const d = new Date();
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${trainerName}_${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}_${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}`;
}
