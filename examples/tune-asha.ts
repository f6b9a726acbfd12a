/**
 * Hyperparameter search with @lux/tune: the learning rate, momentum and batch size of a linear
 * regression trained by SGD, with ASHA stopping the trials that fall behind at each rung. Each
 * trial is a Lux actor (half a CPU each, so four run at once on two CPUs) that reports its
 * validation error once per epoch with a checkpoint of its weights. Run with
 * `npx tsx examples/tune-asha.ts`; CI runs a short setting (`--samples 4 --epochs 6`,
 * test/integration/examples-tune.test.ts).
 *
 * The trainable runs in workers: it is a top-level declaration of this module, and the
 * program's body is in `lux.main`, so workers can import the module to find it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lux from "lux";
import * as tune from "@lux/tune";

interface Config {
  lr: number;
  momentum: number;
  batch: number;
  epochs: number;
}

/** y = 3x − 2 plus noise, 512 points (the same in every trial: a seeded generator). */
function dataset(): { x: Float64Array; y: Float64Array } {
  let s = 12345;
  const next = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const x = Float64Array.from({ length: 512 }, () => next() * 4 - 2);
  const y = x.map((v) => 3 * v - 2 + (next() - 0.5) * 0.2);
  return { x, y };
}

function mse(w: number, b: number, x: Float64Array, y: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (w * (x[i] as number) + b - (y[i] as number)) ** 2;
  return sum / (to - from);
}

/** One trial: SGD with momentum on the first 384 points, validated on the rest, from its checkpoint if it has one. */
export async function trainRegression(config: Config): Promise<void> {
  const { x, y } = dataset();
  const checkpoint = tune.getCheckpoint();
  const state = checkpoint === undefined ? { w: 0, b: 0, vw: 0, vb: 0, epoch: 0 } : JSON.parse(fs.readFileSync(path.join(checkpoint.path, "model.json"), "utf8"));
  for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
    for (let start = 0; start < 384; start += config.batch) {
      let gw = 0;
      let gb = 0;
      const end = Math.min(384, start + config.batch);
      for (let i = start; i < end; i++) {
        const err = state.w * (x[i] as number) + state.b - (y[i] as number);
        gw += (2 * err * (x[i] as number)) / (end - start);
        gb += (2 * err) / (end - start);
      }
      state.vw = config.momentum * state.vw - config.lr * gw;
      state.vb = config.momentum * state.vb - config.lr * gb;
      state.w += state.vw;
      state.b += state.vb;
    }
    state.epoch = epoch;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regression-"));
    fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(state));
    await tune.report({ mse: mse(state.w, state.b, x, y, 384, 512), epoch }, { checkpoint: tune.Checkpoint.fromDirectory(dir) });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

lux.main(async () => {
  const samples = flag("samples", 16);
  const epochs = flag("epochs", 20);
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tune-asha-"));
  try {
    await lux.init({ numCpus: 2 });
    const tuner = new tune.Tuner(tune.withResources(trainRegression, { CPU: 0.5 }), {
      paramSpace: { lr: tune.loguniform(1e-3, 0.3), momentum: tune.uniform(0, 0.9), batch: tune.choice([16, 32, 64]), epochs },
      tuneConfig: { metric: "mse", mode: "min", numSamples: samples, seed: 7, scheduler: new tune.ASHAScheduler({ maxT: epochs, gracePeriod: 1, reductionFactor: 2 }) },
      runConfig: { name: "regression", storagePath, progressIntervalMs: 30_000 },
    });
    const grid = await tuner.fit();
    const best = grid.getBestResult();
    const stopped = [...grid].filter((r) => (r.metrics["trainingIteration"] as number) < epochs).length;
    console.log(`trials: ${grid.length}, terminated: ${grid.numTerminated}, errors: ${grid.numErrors}, stopped early by ASHA: ${stopped}`);
    console.log(`best: mse ${(best.metrics["mse"] as number).toFixed(4)} with lr ${best.config.lr.toPrecision(3)}, momentum ${best.config.momentum.toFixed(2)}, batch ${best.config.batch}`);
    const model = JSON.parse(fs.readFileSync(path.join(best.checkpoint?.path ?? "", "model.json"), "utf8")) as { w: number; b: number };
    console.log(`best model: y = ${model.w.toFixed(2)}x ${model.b < 0 ? "-" : "+"} ${Math.abs(model.b).toFixed(2)}`);
  } finally {
    fs.rmSync(storagePath, { recursive: true, force: true });
  }
});
