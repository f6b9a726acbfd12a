/**
 * Errors of `@lux/train` (declared here with the others, so they cross the wire from the
 * training workers and from a trainer run inside an actor, and come back as their class).
 */
import { defineError, describeError } from "@lux/protocol";

/** A run of a trainer failed more often than its `failureConfig.maxFailures` allows. */
export const TrainingFailedError = defineError(
  "LUX_TRAIN_FAILED",
  "TrainingFailedError",
  (f: {
    /** The run's name (`runConfig.name`). */
    readonly runName: string;
    /** How many times its worker group failed. */
    readonly failures: number;
    /** The budget it had (`failureConfig.maxFailures`). */
    readonly maxFailures: number;
  }) =>
    `training run "${f.runName}" failed: its worker group failed ${f.failures} time${f.failures === 1 ? "" : "s"} and maxFailures is ${f.maxFailures}. ` +
    "`cause` (a WorkerGroupError) has each failed rank's error; fix it, or raise runConfig.failureConfig.maxFailures to restart from the latest checkpoint more often.",
);
export type TrainingFailedError = InstanceType<typeof TrainingFailedError>;

/** Workers of a training worker group failed: each rank that failed with its error. */
export const WorkerGroupError = defineError(
  "LUX_TRAIN_WORKER_GROUP",
  "WorkerGroupError",
  (f: {
    /** Rank → what it failed with (the loop's own error, or ActorDiedError for a process that died). */
    readonly errors: Map<number, Error>;
  }) => {
    const ranks = [...f.errors.entries()].sort(([a], [b]) => a - b);
    const each = ranks.map(([rank, e]) => `rank ${rank}: ${describeError(e)}`).join("; ");
    return `${ranks.length} training worker${ranks.length === 1 ? "" : "s"} failed: ${each}`;
  },
);
export type WorkerGroupError = InstanceType<typeof WorkerGroupError>;

/**
 * A training-session function (`train.report`, `train.getContext`, `train.getDatasetShard`, …)
 * was called where it does not work, or asked for what the worker does not have, or the ranks
 * of a group called `report` unequally often.
 */
export const TrainSessionError = defineError(
  "LUX_TRAIN_SESSION",
  "TrainSessionError",
  (f: {
    /** The function called, e.g. "train.report()". */
    readonly operation: string;
    /** What is wrong, with what to do. */
    readonly reason: string;
  }) => `${f.operation}: ${f.reason}`,
);
export type TrainSessionError = InstanceType<typeof TrainSessionError>;

/** A trainer asks for more than the cluster has in all, or for a worker no node can hold. */
export const InsufficientResourcesError = defineError(
  "LUX_INSUFFICIENT_RESOURCES",
  "InsufficientResourcesError",
  (f: {
    /** Who asks, e.g. `trainer "mnist"`. */
    readonly what: string;
    /** What it asks for, e.g. "4 workers of { CPU: 2 } (PACK): { CPU: 8 } in all". */
    readonly demand: string;
    /** What the cluster has, e.g. "{ CPU: 4 } in all on 2 nodes, at most { CPU: 2 } on one". */
    readonly totals: string;
  }) =>
    `${f.what} needs ${f.demand}, which this cluster can never provide: it has ${f.totals}. ` +
    "Ask for fewer workers or less per worker, or add nodes with those resources.",
);
export type InsufficientResourcesError = InstanceType<typeof InsufficientResourcesError>;

/** `Checkpoint.fromDirectory` was given a path that is not a folder. */
export const CheckpointNotFoundError = defineError(
  "LUX_CHECKPOINT_NOT_FOUND",
  "CheckpointNotFoundError",
  (f: { readonly path: string; readonly reason: string }) =>
    `no checkpoint folder at "${f.path}": ${f.reason}. Give the folder the checkpoint's files are in (e.g. <storagePath>/<name>/checkpoint_000003).`,
);
export type CheckpointNotFoundError = InstanceType<typeof CheckpointNotFoundError>;
