/**
 * `@lux/train`: data-parallel training on Lux (Ray Train for TypeScript). A
 * `DataParallelTrainer` gang-schedules N worker actors in a placement group and runs your loop
 * on each with its rank, a shard of each dataset, collectives among them, and reports that
 * persist checkpoints, so a run survives worker failures and can be resumed. See docs/train.md.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import * as train from "@lux/train";
 *
 * export async function loop(config: { epochs: number }) {
 *   const { worldRank } = train.getContext();
 *   const start = train.getCheckpoint() ? Number(fs.readFileSync(`${train.getCheckpoint()!.path}/epoch`, "utf8")) + 1 : 0;
 *   for (let epoch = start; epoch < config.epochs; epoch++) {
 *     const grads = new Float32Array([worldRank + epoch]);
 *     await train.collective.allreduce(grads, { op: "mean" });
 *     const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));
 *     fs.writeFileSync(`${dir}/epoch`, String(epoch));
 *     await train.report({ epoch, loss: 1 / (epoch + 1) }, { checkpoint: train.Checkpoint.fromDirectory(dir) });
 *   }
 * }
 *
 * lux.main(async () => {
 *   const trainer = new train.DataParallelTrainer(loop, { trainLoopConfig: { epochs: 3 }, scalingConfig: { numWorkers: 2 } });
 *   const result = await trainer.fit();
 *   console.log(result.metrics, result.checkpoint?.path);
 * });
 * ```
 */
export { DataParallelTrainer, type TrainLoop } from "./trainer.js";
export type { ScalingConfig, RunConfig, CheckpointConfig, FailureConfig, DataParallelTrainerOptions } from "./config.js";
export type { TrainBackend, BackendContext } from "./backend.js";
export type { Result } from "./result.js";
export type { Metrics } from "./metrics.js";
export { Checkpoint, type ReportedCheckpoint } from "./checkpoint.js";
export { getContext, report, getCheckpoint, getAllReportedCheckpoints, getDatasetShard, type ReportOptions } from "./session-api.js";
export type { TrainContext } from "./session.js";
/** Collectives among the trainer's workers: allreduce, broadcast, allgather, barrier (on lux.util.collective). */
export * as collective from "./collective.js";
export type { WorkerSetup } from "./train-worker.js";
export {
  TrainingFailedError,
  WorkerGroupError,
  CollectiveError,
  TrainSessionError,
  InsufficientResourcesError,
  CheckpointNotFoundError,
  InvalidMetricError,
  InvalidOptionError,
} from "lux";
