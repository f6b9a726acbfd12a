/**
 * Data-parallel training of a TensorFlow.js MLP with @lux/train: 2 workers, each with its shard
 * of a @lux/data dataset, gradients averaged over the workers at every step, a checkpoint per
 * epoch (the best two by loss kept). The data is generated (nothing is downloaded): the target
 * is a smooth function of 4 features made from each row's id. Run with
 * `npx tsx examples/train-tfjs.ts` (`--quick` for a short run; CI runs that,
 * test/integration/examples-train.test.ts).
 *
 * The training loop runs in the workers: it is a top-level declaration of this module, and the
 * program's body is in `lux.main`, so workers can import the module to find it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as lux from "lux";
import * as data from "@lux/data";
import * as train from "@lux/train";
import { TfjsTrainer, broadcastModel, distributedStep, loadModel, saveModel, setTfjsBackend } from "@lux/train/tfjs";

const FEATURES = 4;

/** The features and target of row `id`. */
export function sample(id: number): { x: number[]; y: number } {
  const x = Array.from({ length: FEATURES }, (_, j) => Math.sin(id * (0.37 + 0.11 * j)));
  const [a = 0, b = 0, c = 0, d = 0] = x;
  return { x, y: Math.tanh(a - 2 * b) + 0.5 * c * d };
}

function tensorsOf(ids: ArrayLike<number>): [tf.Tensor2D, tf.Tensor2D] {
  const rows = Array.from(ids, (id) => sample(id));
  return [tf.tensor2d(rows.map((r) => r.x)), tf.tensor2d(rows.map((r) => [r.y]))];
}

function makeModel(): tf.LayersModel {
  return tf.sequential({
    layers: [tf.layers.dense({ units: 32, inputShape: [FEATURES], activation: "relu" }), tf.layers.dense({ units: 16, activation: "relu" }), tf.layers.dense({ units: 1 })],
  });
}

interface LoopConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/** Runs in each worker: resumes from the latest checkpoint if there is one, then one report (and checkpoint) per epoch. */
export async function trainLoop(config: LoopConfig): Promise<void> {
  const { worldRank } = train.getContext();
  const restored = train.getCheckpoint();
  const model = restored === undefined ? makeModel() : await loadModel(restored.path);
  const start = restored === undefined ? 0 : (JSON.parse(fs.readFileSync(path.join(restored.path, "epoch.json"), "utf8")) as { epoch: number }).epoch + 1;
  await broadcastModel(model); // every rank starts from rank 0's weights
  const optimizer = tf.train.adam(config.learningRate);
  const shard = train.getDatasetShard<{ id: number }>("train");
  for (let epoch = start; epoch < config.epochs; epoch++) {
    let sum = 0;
    let steps = 0;
    for await (const batch of shard.iterBatches({ batchSize: config.batchSize })) {
      const [x, y] = tensorsOf(batch.id);
      sum += await distributedStep(optimizer, () => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor) as tf.Scalar);
      steps++;
      tf.dispose([x, y]);
    }
    // Rank 0 saves the model (the same on every rank); every rank reports.
    // The report copies it into the run's folder (storagePath/name/checkpoint_NNNNNN).
    const dir = worldRank === 0 ? fs.mkdtempSync(path.join(os.tmpdir(), "mlp-")) : undefined;
    if (dir !== undefined) {
      await saveModel(model, dir);
      fs.writeFileSync(path.join(dir, "epoch.json"), JSON.stringify({ epoch }));
    }
    await train.report({ epoch, loss: sum / steps }, dir === undefined ? {} : { checkpoint: train.Checkpoint.fromDirectory(dir) });
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

lux.main(async () => {
  const quick = process.argv.includes("--quick");
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-example-"));
  try {
    // 2 CPUs for the workers, 2 for the dataset's tasks that feed them.
    await lux.init({ numCpus: 4 });
    data.DataContext.getCurrent().enableProgressBars = false;
    const trainer = new TfjsTrainer(trainLoop, {
      trainLoopConfig: { epochs: quick ? 3 : 10, batchSize: 64, learningRate: 0.01 },
      scalingConfig: { numWorkers: 2 },
      runConfig: { name: "mlp", storagePath, checkpointConfig: { numToKeep: 2, checkpointScoreAttribute: "loss", checkpointScoreOrder: "min" } },
      datasets: { train: data.range(quick ? 1024 : 8192) },
    });
    const result = await trainer.fit();
    for (const m of result.metricsHistory) console.log(`epoch ${m["epoch"]} loss ${(m["loss"] as number).toFixed(4)}`);
    console.log(`checkpoints kept: ${result.bestCheckpoints.map((c) => path.basename(c.checkpoint.path)).join(", ")}`);

    // The best checkpoint's model, in this process: its error on rows no worker saw.
    const best = result.bestCheckpoints[0]?.checkpoint;
    if (best === undefined) throw new TypeError("the run kept no checkpoint");
    await setTfjsBackend("wasm");
    const model = await loadModel(best.path);
    const [x, y] = tensorsOf(Array.from({ length: 256 }, (_, i) => 1_000_000 + i));
    const mse = (tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor) as tf.Scalar).dataSync()[0] as number;
    console.log(`held-out mse ${mse.toFixed(4)}`);
  } finally {
    fs.rmSync(storagePath, { recursive: true, force: true });
  }
});
