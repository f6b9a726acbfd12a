/**
 * Functions bench/rl.ts runs inside env runners and learners (shipped with foreachEnvRunner
 * and foreachLearner, so they live in a module workers can import).
 */
import type * as rl from "@lux/rl";

/** Steps each env of a runner takes per timed sample. */
export const SAMPLE_STEPS = 1024;
/** Minibatches of the learner bench, and their size. */
export const LEARNER_MINIBATCHES = 40;
export const MINIBATCH = 128;

/** Samples SAMPLE_STEPS steps per env with the runner's current weights; the env steps and seconds. */
export async function timedSample(runner: rl.EnvRunner): Promise<{ steps: number; seconds: number }> {
  const weights = { version: -1, value: runner.getWeights() };
  await runner.sample({ weights, steps: 8 }); // warm
  const start = performance.now();
  const s = await runner.sample({ weights, steps: SAMPLE_STEPS });
  return { steps: s.envSteps, seconds: (performance.now() - start) / 1000 };
}

/** LEARNER_MINIBATCHES PPO minibatch updates on a synthetic CartPole-shaped batch; updates and seconds. */
export async function timedUpdates(learner: rl.Learner): Promise<{ updates: number; seconds: number }> {
  const hp = { clipParam: 0.2, vfClipParam: Infinity, entropyCoeff: 0, vfLossCoeff: 0.5, numEpochs: 1, minibatchSize: MINIBATCH };
  await learner.updatePpo(syntheticBatch(MINIBATCH * 2), hp); // warm
  const batch = syntheticBatch(MINIBATCH * LEARNER_MINIBATCHES);
  const start = performance.now();
  const m = await learner.updatePpo(batch, hp);
  return { updates: m.numUpdates, seconds: (performance.now() - start) / 1000 };
}

/** A PPO batch of `n` CartPole-shaped rows (4 observations, 2 actions) from a fixed generator. */
export function syntheticBatch(n: number): Parameters<rl.Learner["updatePpo"]>[0] {
  let seed = 1;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return {
    kind: "ppo" as const,
    count: n,
    obs: Float32Array.from({ length: n * 4 }, rand),
    actions: Float32Array.from({ length: n }, () => (rand() > 0 ? 1 : 0)),
    logp: new Float32Array(n).fill(Math.log(0.5)),
    vfPreds: new Float32Array(n),
    advantages: Float32Array.from({ length: n }, rand),
    valueTargets: Float32Array.from({ length: n }, () => rand() * 10),
  };
}
