/**
 * `@lux/train/tfjs`: data-parallel training of TensorFlow.js models (@tensorflow/tfjs, pure
 * JS/wasm on the CPU). `TfjsTrainer` sets tfjs's backend in each worker; in the loop,
 * `broadcastModel` gives every rank rank 0's weights, `distributedStep` trains one step on
 * every rank's batch with the gradients averaged over the ranks, and `saveModel`/`loadModel`
 * put a model in a checkpoint folder and back.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import * as train from "@lux/train";
 * import { TfjsTrainer, broadcastModel, distributedStep, saveModel } from "@lux/train/tfjs";
 *
 * export async function loop() {
 *   const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
 *   await broadcastModel(model);
 *   const optimizer = tf.train.sgd(0.1);
 *   for (let epoch = 0; epoch < 5; epoch++) {
 *     const [x, y] = batchOf(train.getContext().worldRank);
 *     const loss = await distributedStep(optimizer, () => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor));
 *     const dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-"));
 *     await saveModel(model, dir);
 *     await train.report({ epoch, loss }, { checkpoint: train.Checkpoint.fromDirectory(dir) });
 *   }
 * }
 * const result = await new TfjsTrainer(loop, { scalingConfig: { numWorkers: 2 } }).fit();
 * ```
 */
import { InvalidOptionError } from "lux";
import type { DataParallelTrainerOptions } from "./config.js";
import type { TrainLoop } from "./trainer.js";
import { DataParallelTrainer } from "./trainer.js";
import type { WorkerSetup } from "./train-worker.js";
import { TFJS_BACKENDS, setTfjsBackend, type TfjsBackendName } from "./tfjs-backend.js";

export { broadcastModel, distributedStep } from "./tfjs-steps.js";
export { saveModel, loadModel } from "./tfjs-io.js";
export { setTfjsBackend, type TfjsBackendName };

/** DataParallelTrainer's options, plus the tfjs backend of the workers. */
export interface TfjsTrainerOptions<C = Record<string, unknown>> extends DataParallelTrainerOptions<C> {
  /** "wasm" (default: @tensorflow/tfjs-backend-wasm) or "cpu" (plain JavaScript). */
  tfjsBackend?: TfjsBackendName;
}

/** A DataParallelTrainer whose workers run tfjs on the backend asked for (set before the loop, after every restart too). */
export class TfjsTrainer<C = Record<string, unknown>> extends DataParallelTrainer<C> {
  /** The tfjs backend of the workers. */
  readonly tfjsBackend: TfjsBackendName;

  constructor(loop: TrainLoop<C>, options: TfjsTrainerOptions<C> = {}) {
    const { tfjsBackend = "wasm", ...rest } = (options ?? {}) as TfjsTrainerOptions<C>;
    if (!TFJS_BACKENDS.includes(tfjsBackend)) {
      throw new InvalidOptionError({ option: "tfjsBackend", expected: TFJS_BACKENDS.map((b) => `"${b}"`).join(" or "), received: tfjsBackend });
    }
    super(loop, rest);
    this.tfjsBackend = tfjsBackend;
  }

  protected override workerSetup(): WorkerSetup {
    return { moduleUrl: import.meta.url, exportName: "setTfjsBackend", arg: this.tfjsBackend };
  }
}
