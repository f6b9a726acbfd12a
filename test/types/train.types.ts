/**
 * Type tests for @lux/train (issue 19, point 1): checked by `tsc` (npm run typecheck), never
 * run. The loop's config type C is inferred from `trainLoopConfig`. Each `@ts-expect-error`
 * line must be an error.
 */
import * as data from "@lux/data";
import * as train from "@lux/train";
import { TfjsTrainer } from "@lux/train/tfjs";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;
type ConfigOf<T> = T extends train.DataParallelTrainer<infer C> ? C : never;

async function loop(config: { lr: number; epochs: number }): Promise<void> {
  await train.report({ lr: config.lr });
}

// C from trainLoopConfig, checked against the loop's parameter.
const trainer = new train.DataParallelTrainer(loop, { trainLoopConfig: { lr: 0.1, epochs: 3 } });
assertEqual<ConfigOf<typeof trainer>, { lr: number; epochs: number }>(true);
// @ts-expect-error lr is a number in the loop
new train.DataParallelTrainer(loop, { trainLoopConfig: { lr: "fast", epochs: 3 } });
const inferred = new train.DataParallelTrainer((c: { steps: number }) => void c.steps, { trainLoopConfig: { steps: 2 } });
assertEqual<ConfigOf<typeof inferred>, { steps: number }>(true);
new train.DataParallelTrainer(() => undefined);

// The config types are exported, and their fields are checked.
const scaling: train.ScalingConfig = { numWorkers: 2, useGpu: false, resourcesPerWorker: { CPU: 1 }, placementStrategy: "PACK" };
const checkpoints: train.CheckpointConfig = { numToKeep: 2, checkpointScoreAttribute: "loss", checkpointScoreOrder: "min" };
const failures: train.FailureConfig = { maxFailures: -1 };
const run: train.RunConfig = { name: "r", storagePath: "/tmp", failureConfig: failures, checkpointConfig: checkpoints };
// @ts-expect-error min or max
const badOrder: train.CheckpointConfig = { checkpointScoreOrder: "asc" };
// @ts-expect-error a placement strategy
const badStrategy: train.ScalingConfig = { placementStrategy: "PACKED" };
new train.DataParallelTrainer(loop, { trainLoopConfig: { lr: 1, epochs: 1 }, scalingConfig: scaling, runConfig: run, datasets: { train: data.range(10) } });

// The result's shape.
async function results(): Promise<void> {
  const result = await trainer.fit();
  assertEqual<typeof result.path, string>(true);
  assertEqual<typeof result.checkpoint, train.Checkpoint | undefined>(true);
  assertEqual<typeof result.error, Error | undefined>(true);
  const best: train.Checkpoint | undefined = result.bestCheckpoints[0]?.checkpoint;
  const loss: number = result.metrics["loss"];
  const history: readonly train.Metrics[] = result.metricsHistory;
  void [best, loss, history, badOrder, badStrategy];
  const errors: Map<number, Error> = new train.WorkerGroupError({ errors: new Map() }).errors;
  void errors;
}
void results;

// Inside the loop.
function inLoop(): void {
  const ctx: train.TrainContext = train.getContext();
  const n: number = ctx.worldSize + ctx.worldRank + ctx.localRank + ctx.localWorldSize + ctx.nodeRank;
  const name: string = ctx.experimentName;
  const shard: data.DataIterator<{ id: number }> = train.getDatasetShard<{ id: number }>("train");
  const latest: train.Checkpoint | undefined = train.getCheckpoint();
  const all: train.ReportedCheckpoint[] = train.getAllReportedCheckpoints();
  void [n, name, shard, latest, all];
  void train.collective.allreduce(new Float32Array(4), { op: "mean" });
  // @ts-expect-error ops are sum, mean, min, max
  void train.collective.allreduce(new Float32Array(4), { op: "avg" });
  void train.collective.broadcast(new Int32Array(4), { srcRank: 1 });
  const gathered: Promise<Float64Array[]> = train.collective.allgather(new Float64Array(2));
  const shared: Int32Array = train.collective.sharedArray(Int32Array, 8);
  void train.collective.allreduce(shared, { op: "sum" });
  // @ts-expect-error sharedArray takes no group (it is the trainer's)
  void train.collective.sharedArray(Int32Array, 8, { groupName: "g" });
  void gathered;
}
void inLoop;

// TfjsTrainer: DataParallelTrainer's options plus tfjsBackend.
new TfjsTrainer(loop, { trainLoopConfig: { lr: 1, epochs: 1 }, tfjsBackend: "cpu", scalingConfig: { numWorkers: 2 } });
// @ts-expect-error wasm or cpu
new TfjsTrainer(loop, { trainLoopConfig: { lr: 1, epochs: 1 }, tfjsBackend: "webgl" });
