/**
 * Data-parallel steps for tfjs models, in a training loop: weights from one rank to all, and
 * one optimizer step on gradients averaged over the ranks (one allreduce of every gradient in
 * one flat array). Every rank ends with the same weights, bit for bit.
 */
import * as tf from "@tensorflow/tfjs";
import * as collective from "./collective.js";

/** Gives every rank the weights of rank `srcRank` (default 0): call it once after building the model. */
export async function broadcastModel(model: tf.LayersModel, options: { srcRank?: number } = {}): Promise<void> {
  const weights = model.getWeights();
  const flat = new Float32Array(weights.reduce((n, w) => n + w.size, 0));
  let offset = 0;
  for (const w of weights) {
    flat.set(w.dataSync(), offset);
    offset += w.size;
  }
  await collective.broadcast(flat, { srcRank: options.srcRank ?? 0 });
  offset = 0;
  const next = weights.map((w) => {
    const t = tf.tensor(flat.subarray(offset, offset + w.size), w.shape, w.dtype);
    offset += w.size;
    return t;
  });
  model.setWeights(next);
  tf.dispose(next);
}

/**
 * One training step on this rank's batch: `optimizer.computeGradients(lossFn)`, one allreduce
 * (mean) of every gradient (and the loss) in a single flat array, then `applyGradients` with
 * the averages. Resolves to the loss averaged over the ranks.
 */
export async function distributedStep(optimizer: tf.Optimizer, lossFn: () => tf.Scalar): Promise<number> {
  const { value, grads } = optimizer.computeGradients(lossFn);
  const names = Object.keys(grads);
  const tensors = names.map((n) => grads[n] as tf.Tensor);
  const flat = new Float32Array(tensors.reduce((n, t) => n + t.size, 0) + 1);
  let offset = 0;
  for (const t of tensors) {
    flat.set(t.dataSync(), offset);
    offset += t.size;
  }
  flat[offset] = value.dataSync()[0] as number;
  tf.dispose([value, ...tensors]);
  await collective.allreduce(flat, { op: "mean" });
  offset = 0;
  const averaged: tf.NamedTensorMap = {};
  names.forEach((name, i) => {
    const like = tensors[i] as tf.Tensor;
    averaged[name] = tf.tensor(flat.subarray(offset, offset + like.size), like.shape, "float32");
    offset += like.size;
  });
  optimizer.applyGradients(averaged);
  tf.dispose(Object.values(averaged));
  return flat[offset] as number;
}
