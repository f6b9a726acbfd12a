/**
 * A tfjs model in a folder and back, for checkpoints: `model.json` (topology and weight
 * manifest, as tfjs's own file format) and `weights.bin`. Pure tfjs has no `file://` handler
 * (that is tfjs-node's), so this saves through `tf.io.withSaveHandler` and loads through
 * `tf.io.fromMemory`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

function bytesOf(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
  return new Uint8Array(buffer);
}

/** Writes `model` into folder `dir` (made if missing): model.json and weights.bin. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  await fs.promises.mkdir(dir, { recursive: true });
  return model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, weightSpecs, ...rest } = artifacts;
      const json = { ...rest, weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: weightSpecs ?? [] }] };
      await fs.promises.writeFile(path.join(dir, WEIGHTS_BIN), bytesOf(weightData));
      await fs.promises.writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Reads a model `saveModel` wrote into `dir`. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await fs.promises.readFile(path.join(dir, MODEL_JSON), "utf8")) as tf.io.ModelJSON;
  const weights = await fs.promises.readFile(path.join(dir, WEIGHTS_BIN));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const { weightsManifest, ...rest } = json;
  const weightSpecs = weightsManifest.flatMap((group) => group.weights);
  return tf.loadLayersModel(tf.io.fromMemory({ ...rest, weightSpecs, weightData }));
}
