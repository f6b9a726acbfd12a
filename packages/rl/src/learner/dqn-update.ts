/**
 * DQN's gradient step on a learner: the Huber loss between Q(s, a) and the n-step target
 * r + γⁿ · (1 − terminated) · Q_target(s', a*), with a* = argmax Q(s', ·) under double Q (else
 * the target net's own max), each sample weighted (prioritized replay's importance weights).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { actionSize, inputSize, netOf } from "../model/module-spec.js";
import type { DqnBatch } from "../runner/sample-batch.js";
import type { TfLearner as Learner } from "./tf-learner.js";
import { tfForward } from "./tf-net.js";

export interface DqnHyperparams {
  readonly doubleQ: boolean;
}

/** DQN's learner metrics (means over the iteration's gradient steps). */
export interface DqnLearnerMetrics {
  qfLoss: number;
  qfMean: number;
  tdErrorMean: number;
  numUpdates: number;
}

export interface DqnStep {
  qfLoss: number;
  qfMean: number;
  /** |TD error| of each sample (prioritized replay's new priorities). */
  tdErrors: Float32Array;
}

/** One gradient step on `batch`, with per-sample `weights` (all 1 without prioritized replay). */
export async function dqnStep(learner: Learner, batch: DqnBatch, weights: Float32Array, hp: DqnHyperparams): Promise<DqnStep> {
  const { tf, spec } = learner;
  const inputs = inputSize(spec.obs);
  const n = actionSize(spec.action);
  const targets = tf.tidy(() => {
    const next = tf.tensor2d(batch.nextObs, [batch.count, inputs]);
    const qTarget = tfForward(tf, netOf(spec, "q"), learner.targetVars as ReadonlyMap<string, tfTypes.Variable>, next);
    const nextV = hp.doubleQ
      ? tf.sum(tf.mul(qTarget, tf.oneHot(tf.argMax(tfForward(tf, netOf(spec, "q"), learner.vars, next), 1), n)), 1)
      : tf.max(qTarget, 1);
    const notDone = tf.sub(1, tf.tensor1d(batch.terminateds));
    return tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.mul(tf.tensor1d(batch.discounts), notDone), nextV));
  });
  let qfMean = 0;
  let qfLoss = 0;
  let tdErrors: Float32Array = new Float32Array(0);
  const grads = learner.gradients(() => {
    const q = tfForward(tf, netOf(spec, "q"), learner.vars, tf.tensor2d(batch.obs, [batch.count, inputs]));
    const qSel = tf.sum(tf.mul(q, tf.oneHot(tf.tensor1d(batch.actions, "int32"), n)), 1);
    const td = tf.sub(qSel, targets);
    const abs = tf.abs(td);
    // Huber with δ = 1, as 0.5·q² + (|td| − q) with q = min(|td|, 1): differentiable op by op.
    const q1 = tf.minimum(abs, 1);
    const huber = tf.add(tf.mul(0.5, tf.square(q1)), tf.sub(abs, q1));
    const loss = tf.mean(tf.mul(huber, tf.tensor1d(weights)));
    qfMean = tf.mean(qSel).dataSync()[0] as number;
    qfLoss = loss.dataSync()[0] as number;
    tdErrors = abs.dataSync() as Float32Array;
    return loss as tfTypes.Scalar;
  });
  targets.dispose();
  await learner.apply(grads);
  return { qfLoss, qfMean, tdErrors: Float32Array.from(tdErrors) };
}
