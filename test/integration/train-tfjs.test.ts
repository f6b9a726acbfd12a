/**
 * @lux/train/tfjs on a real cluster (issue 19, point 5): TfjsTrainer sets the tfjs backend in
 * each worker (wasm by default, cpu on request), broadcastModel gives every rank rank 0's
 * weights, distributedStep keeps the ranks' weights identical while the loss goes down, and
 * saveModel/loadModel put the model in a checkpoint and back (in the driver too).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { TfjsTrainer } from "@lux/train/tfjs";
import { predictFrom, tfjsLoop } from "./fixtures/train-tfjs-defs.js";
import { recorded } from "./fixtures/train-defs.js";

let dir = "";

before(async () => {
  await lux.init({ numCpus: 2 });
});

after(async () => {
  await lux.shutdown();
});

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-tfjs-"));
  return dir;
}

for (const backend of ["wasm", "cpu"] as const) {
  test(`2 workers on tfjs's ${backend} backend: same weights on both ranks after broadcast and every epoch, the loss goes down, the checkpoint's model predicts as rank 0`, async () => {
    const storagePath = tempDir();
    const options = { trainLoopConfig: { dir: storagePath, epochs: 3, steps: 10 }, scalingConfig: { numWorkers: 2 }, runConfig: { name: backend, storagePath } };
    const trainer = backend === "wasm" ? new TfjsTrainer(tfjsLoop, options) : new TfjsTrainer(tfjsLoop, { ...options, tfjsBackend: "cpu" });
    assert.equal(trainer.tfjsBackend, backend);
    const result = await trainer.fit();

    const init = [0, 1].map((r) => recorded<{ backend: string; before: string; after: string }>(storagePath, "init", r)[0]);
    assert.deepEqual(init.map((i) => i?.backend), [backend, backend]);
    assert.notEqual(init[0]?.before, init[1]?.before, "each rank made its own random weights");
    assert.equal(init[1]?.after, init[0]?.before, "rank 1 got rank 0's");
    const epochs = [0, 1].map((r) => recorded<{ epoch: number; losses: number[]; weights: string; tensors: number }>(storagePath, "epoch", r));
    assert.equal(epochs[0]?.[2]?.tensors, epochs[0]?.[1]?.tensors, "distributedStep leaves no tensor behind");
    for (let e = 0; e < 3; e++) {
      assert.equal(epochs[0]?.[e]?.weights, epochs[1]?.[e]?.weights, `epoch ${e}: the same weights on both ranks`);
      assert.deepEqual(epochs[0]?.[e]?.losses, epochs[1]?.[e]?.losses, "the loss averaged over the ranks");
    }
    const losses = result.metricsHistory.map((m) => m["loss"] as number);
    assert.ok((losses[2] as number) < (losses[0] as number) * 0.8, `the loss goes down: ${losses.join(", ")}`);
    assert.deepEqual(fs.readdirSync(result.checkpoint?.path ?? "").sort(), ["model.json", "weights.bin"]);

    const final = recorded<{ prediction: number[] }>(storagePath, "final", 0)[0]?.prediction ?? [];
    const loaded = await predictFrom(result.checkpoint?.path ?? "");
    loaded.forEach((v, i) => assert.ok(Math.abs(v - (final[i] as number)) < 1e-5, `prediction ${i}: ${v} vs ${final[i]}`));
  });
}

test("tfjsBackend other than wasm or cpu: InvalidOptionError naming it; DataParallelTrainer's checks hold", () => {
  assert.throws(() => new TfjsTrainer(tfjsLoop, { tfjsBackend: "webgl" as never }), (e: unknown) => e instanceof train.InvalidOptionError && /tfjsBackend: expected "wasm" or "cpu", got 'webgl'/.test(e.message));
  assert.throws(() => new TfjsTrainer(tfjsLoop, { scalingConfig: { numWorkers: 0 } }), (e: unknown) => e instanceof train.InvalidOptionError && /scalingConfig\.numWorkers/.test(e.message));
  assert.ok(new TfjsTrainer(tfjsLoop) instanceof train.DataParallelTrainer);
});
