/**
 * PPO's update on a learner: epochs of shuffled minibatches, each a gradient step of the
 * clipped surrogate loss + vfLossCoeff · the value loss (its squared error clipped at
 * vfClipParam) − entropyCoeff · the entropy. Metrics are means over the minibatches.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { actionSize, inputSize, netOf } from "../model/module-spec.js";
import type { PpoBatch } from "../runner/sample-batch.js";
import { takeRows } from "../runner/sample-batch.js";
import type { TfLearner as Learner } from "./tf-learner.js";
import { tfForward } from "./tf-net.js";

export interface PpoHyperparams {
  readonly clipParam: number;
  readonly vfClipParam: number;
  readonly entropyCoeff: number;
  readonly vfLossCoeff: number;
  readonly numEpochs: number;
  readonly minibatchSize: number;
}

/** PPO's learner metrics (means over the iteration's minibatches). */
export interface PpoLearnerMetrics {
  policyLoss: number;
  vfLoss: number;
  entropy: number;
  /** Mean of old log-prob − new log-prob: an estimate of KL(old ‖ new). */
  meanKl: number;
  /** Gradient steps in this update. */
  numUpdates: number;
}

const HALF_LOG_2PI_E = 0.5 * (1 + Math.log(2 * Math.PI));
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export async function ppoUpdate(learner: Learner, batch: PpoBatch, hp: PpoHyperparams): Promise<PpoLearnerMetrics> {
  const sums = { policyLoss: 0, vfLoss: 0, entropy: 0, meanKl: 0 };
  let steps = 0;
  const order = Int32Array.from({ length: batch.count }, (_, i) => i);
  const size = Math.min(hp.minibatchSize, batch.count);
  for (let epoch = 0; epoch < hp.numEpochs; epoch++) {
    learner.rng.shuffle(order);
    for (let start = 0; start + size <= batch.count; start += size) {
      const mb = takeRows(batch, order.subarray(start, start + size));
      const aux = { policyLoss: 0, vfLoss: 0, entropy: 0, meanKl: 0 };
      const grads = learner.gradients(() => ppoLoss(learner, mb, hp, aux));
      await learner.apply(grads);
      for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += aux[k];
      steps++;
    }
  }
  const mean = (v: number): number => (steps === 0 ? 0 : v / steps);
  return { policyLoss: mean(sums.policyLoss), vfLoss: mean(sums.vfLoss), entropy: mean(sums.entropy), meanKl: mean(sums.meanKl), numUpdates: steps };
}

/** The loss of one minibatch; its parts go to `aux` (read once the tape has run). */
function ppoLoss(learner: Learner, mb: PpoBatch, hp: PpoHyperparams, aux: Record<"policyLoss" | "vfLoss" | "entropy" | "meanKl", number>): tfTypes.Scalar {
  const { tf, spec, vars } = learner;
  const x = tf.tensor2d(mb.obs, [mb.count, inputSize(spec.obs)]);
  const out = tfForward(tf, netOf(spec, "pi"), vars, x);
  const { logp, entropy } = spec.action.kind === "Discrete" ? categorical(learner, out, mb) : gaussian(learner, out, mb);
  const oldLogp = tf.tensor1d(mb.logp);
  const adv = tf.tensor1d(mb.advantages);
  const ratio = tf.exp(tf.sub(logp, oldLogp));
  const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - hp.clipParam, 1 + hp.clipParam), adv));
  const policyLoss = tf.neg(tf.mean(surrogate));
  const v = tf.reshape(tfForward(tf, netOf(spec, "vf"), vars, x), [mb.count]);
  const err = tf.square(tf.sub(v, tf.tensor1d(mb.valueTargets)));
  const vfLoss = tf.mean(Number.isFinite(hp.vfClipParam) ? tf.clipByValue(err, 0, hp.vfClipParam) : err);
  const meanEntropy = tf.mean(entropy);
  const total = tf.add(tf.sub(policyLoss, tf.mul(hp.entropyCoeff, meanEntropy)), tf.mul(hp.vfLossCoeff, vfLoss));
  aux.policyLoss = policyLoss.dataSync()[0] as number;
  aux.vfLoss = vfLoss.dataSync()[0] as number;
  aux.entropy = meanEntropy.dataSync()[0] as number;
  aux.meanKl = tf.mean(tf.sub(oldLogp, logp)).dataSync()[0] as number;
  return total as tfTypes.Scalar;
}

function categorical(learner: Learner, logits: tfTypes.Tensor2D, mb: PpoBatch): { logp: tfTypes.Tensor1D; entropy: tfTypes.Tensor1D } {
  const { tf, spec } = learner;
  const logpAll = tf.logSoftmax(logits);
  const oneHot = tf.oneHot(tf.tensor1d(mb.actions, "int32"), actionSize(spec.action));
  const logp = tf.sum(tf.mul(logpAll, oneHot), 1) as tfTypes.Tensor1D;
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1)) as tfTypes.Tensor1D;
  return { logp, entropy };
}

function gaussian(learner: Learner, mean: tfTypes.Tensor2D, mb: PpoBatch): { logp: tfTypes.Tensor1D; entropy: tfTypes.Tensor1D } {
  const { tf, spec, vars } = learner;
  const n = actionSize(spec.action);
  const logStd = vars.get("pi.logStd") as tfTypes.Variable;
  const z = tf.div(tf.sub(tf.tensor2d(mb.actions, [mb.count, n]), mean), tf.exp(logStd));
  const logp = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), HALF_LOG_2PI), 1) as tfTypes.Tensor1D;
  const entropy = tf.mul(tf.ones([mb.count]), tf.sum(tf.add(logStd, HALF_LOG_2PI_E))) as tfTypes.Tensor1D;
  return { logp, entropy };
}
