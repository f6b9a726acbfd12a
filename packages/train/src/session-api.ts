/**
 * The functions a training loop calls (in its workers): its context, `report`, the latest
 * checkpoint, the checkpoints the run keeps, and its shard of each dataset. Outside a training
 * loop each throws TrainSessionError, except `report` and `getCheckpoint` in code another library
 * runs with a ReportHost (a Tune trial's trainable: they then go to the trial).
 */
import type { DataIterator, Row } from "@lux/data";
import { TrainSessionError } from "lux";
import { Checkpoint, type ReportedCheckpoint } from "./checkpoint.js";
import { checkMetrics, type Metrics } from "./metrics.js";
import { currentReportHost } from "./report-host.js";
import { currentSession, type TrainContext } from "./session.js";

/** Options of `train.report`. */
export interface ReportOptions {
  /** A folder of files to keep with this report: copied into `storagePath/name/checkpoint_NNNNNN/`. */
  checkpoint?: Checkpoint;
}

/** Where this worker sits in the group: `{ worldSize, worldRank, localRank, localWorldSize, nodeRank, experimentName }`. */
export function getContext(): TrainContext {
  return currentSession("train.getContext()").state.context;
}

/**
 * Reports `metrics` (and a checkpoint) for this step of training. A barrier: it resolves once
 * every rank made this report and the driver registered it, so every rank calls it equally
 * often. Rank 0's metrics become the result's; the checkpoint files of every rank that gives
 * one merge into one checkpoint folder.
 */
export async function report(metrics: Metrics, options: ReportOptions = {}): Promise<void> {
  const host = currentReportHost();
  if (host !== undefined) {
    const checkpoint = (options as ReportOptions | undefined)?.checkpoint;
    if (checkpoint !== undefined && !(checkpoint instanceof Checkpoint)) {
      throw new TrainSessionError({ operation: "train.report()", reason: "its checkpoint option takes a Checkpoint (train.Checkpoint.fromDirectory(dir))" });
    }
    return host.report(checkMetrics(metrics), checkpoint);
  }
  const session = currentSession("train.report()");
  await session.report(metrics, (options as ReportOptions | undefined)?.checkpoint);
}

/**
 * The run's latest checkpoint: the last one reported, or (after a restart) the one the group
 * restarted from, or `resumeFromCheckpoint`; `undefined` when there is none.
 */
export function getCheckpoint(): Checkpoint | undefined {
  const host = currentReportHost();
  if (host !== undefined) return host.latestCheckpoint;
  return currentSession("train.getCheckpoint()").latestCheckpoint;
}

/** The checkpoints the run keeps so far, in report order, each with rank 0's metrics of its report. */
export function getAllReportedCheckpoints(): ReportedCheckpoint[] {
  return [...currentSession("train.getAllReportedCheckpoints()").reported];
}

/** This worker's shard of dataset `name` (an equal split of it): one epoch per `iterBatches`. */
export function getDatasetShard<R extends Row = Record<string, unknown>>(name: string): DataIterator<R> {
  const session = currentSession("train.getDatasetShard()");
  const shards = session.state.shards;
  const shard = Object.hasOwn(shards, name) ? shards[name] : undefined;
  if (shard === undefined) {
    const names = Object.keys(shards);
    throw new TrainSessionError({
      operation: `train.getDatasetShard(${JSON.stringify(name)})`,
      reason: `the trainer has no dataset of that name; its datasets are ${names.length === 0 ? "none (give them in the trainer's datasets option)" : names.map((n) => `"${n}"`).join(", ")}`,
    });
  }
  return shard as unknown as DataIterator<R>;
}
