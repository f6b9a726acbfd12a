import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { loadModel, saveModel, setTfjsBackend } from "../src/tfjs.js";

let dir = "";
/** The process's handlers before tfjs's wasm backend was first loaded. */
let handlers: number[] = [];

before(async () => {
  handlers = [process.listenerCount("uncaughtException"), process.listenerCount("unhandledRejection")];
  await setTfjsBackend("wasm");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tfjs-io-"));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test("setTfjsBackend makes wasm tfjs's backend here", () => {
  assert.equal(tf.getBackend(), "wasm");
});

test("saveModel writes model.json (topology, manifest naming weights.bin) and weights.bin; loadModel gives a model that predicts the same", async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [3], activation: "relu" }), tf.layers.dense({ units: 2 })] });
  const saved = await saveModel(model, path.join(dir, "m"));
  assert.ok((saved.modelArtifactsInfo.weightDataBytes ?? 0) > 0);
  assert.deepEqual(fs.readdirSync(path.join(dir, "m")).sort(), ["model.json", "weights.bin"]);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "m", "model.json"), "utf8")) as { modelTopology: unknown; weightsManifest: { paths: string[]; weights: { name: string }[] }[] };
  assert.ok(json.modelTopology !== undefined);
  assert.deepEqual(json.weightsManifest[0]?.paths, ["./weights.bin"]);
  assert.equal(json.weightsManifest[0]?.weights.length, 4);
  assert.equal(fs.statSync(path.join(dir, "m", "weights.bin")).size, (3 * 5 + 5 + 5 * 2 + 2) * 4);

  const loaded = await loadModel(path.join(dir, "m"));
  const x = tf.tensor2d([[0.1, -0.2, 0.3], [1, 2, 3]]);
  assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
});

test("setTfjsBackend leaves no process handler of the wasm glue behind (they would rethrow a worker's uncaught errors)", async () => {
  await setTfjsBackend("cpu");
  await setTfjsBackend("wasm");
  assert.deepEqual([process.listenerCount("uncaughtException"), process.listenerCount("unhandledRejection")], handlers);
});
