/**
 * @lux/rl (issue 22, point 8): `npx tsx bench/rl.ts` (after a build), one run, on a private
 * cluster of 2 CPUs.
 *
 * (a) Env steps/s of CartPole-v1 with 2 env-runner actors (4 envs each, the PPO policy) beside
 *     the same runner (envs and policy) sampling in this process: target ≥ 1.5×.
 * (b) Learner minibatch updates/s (PPO, 128 rows, 64×64 tanh) through @lux/rl's learner in this
 *     process beside a plain tfjs loop of the same networks and loss (variableGrads + Adam):
 *     the framework's overhead.
 * (c) PPO's wall time and env steps until the mean return of the last 100 episodes reaches 475
 *     on CartPole-v1, median of 3 seeds, with examples/rl-cartpole-ppo.ts's settings and with
 *     Stable-Baselines3's PPO defaults (target: within 10 minutes and 500k steps, 2 of 3 seeds).
 * (d) DQN's wall time and env steps until greedy evaluation (5 episodes, every 5 iterations)
 *     reaches 195 on CartPole-v1, median of 3 seeds (target: within 10 minutes).
 *
 * --quick: tiny sizes and a target of 30, for CI's smoke run (checks it runs, never a speed).
 * --json: one line. --settings example|sb3|both (default both), --seeds n (default 3).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as lux from "lux";
import * as rl from "@lux/rl";
import { flag } from "./flags.js";
import { LEARNER_MINIBATCHES, MINIBATCH, syntheticBatch, timedSample, timedUpdates } from "./rl-defs.js";

const quick = process.argv.includes("--quick");
const settingsArg = process.argv[process.argv.indexOf("--settings") + 1];
const settings = process.argv.includes("--settings") ? (settingsArg === "both" ? ["example", "sb3"] : [settingsArg as string]) : quick ? ["example"] : ["example", "sb3"];

/** PPO on CartPole-v1 with `which` settings (the example's, or SB3's defaults). */
function ppoConfig(which: string, seed: number, runners = 2): rl.PPOConfig {
  const base = new rl.PPOConfig()
    .environment("CartPole-v1")
    .envRunners({ numEnvRunners: runners, numEnvsPerEnvRunner: 4, rolloutFragmentLength: 128 })
    .learners({ numLearners: 0 })
    .rlModule({ fcnetHiddens: [64, 64], fcnetActivation: "tanh" })
    .debugging({ seed });
  if (which === "example") {
    return base.training({ lr: 1e-3, gamma: 0.99, lambda: 0.95, clipParam: 0.2, vfClipParam: Infinity, entropyCoeff: 0, vfLossCoeff: 0.5, numEpochs: 5, minibatchSize: 256, trainBatchSizePerLearner: 1024, gradClip: 0.5 });
  }
  if (which === "sb3") {
    return base.training({ lr: 3e-4, gamma: 0.99, lambda: 0.95, clipParam: 0.2, vfClipParam: Infinity, entropyCoeff: 0, vfLossCoeff: 0.5, numEpochs: 10, minibatchSize: 128, trainBatchSizePerLearner: 1024, gradClip: 0.5 });
  }
  throw new TypeError(`--settings takes example, sb3 or both, not ${which}`);
}

/** (a) Env steps/s: 2 runner actors at once beside the driver's own runner. */
async function samplingBench(): Promise<Record<string, number>> {
  const rate = async (runners: number): Promise<number> => {
    const algo = ppoConfig("example", 1, runners).build();
    try {
      await algo.evaluate(); // the runners are up and have their weights
      // A first round warms both alike: it ships timedSample to the runner actors (each worker
      // imports its module, once per function, not per sample) and compiles the sampling code.
      await algo.envRunnerGroup.foreachEnvRunner(timedSample);
      // Best of three rounds: the JIT keeps improving the sampling code over the first ones.
      let best = 0;
      for (let round = 0; round < 3; round++) {
        const start = performance.now();
        const parts = await algo.envRunnerGroup.foreachEnvRunner(timedSample);
        const wall = (performance.now() - start) / 1000;
        const steps = parts.reduce((n, p) => n + p.steps, 0);
        best = Math.max(best, steps / (runners === 0 ? (parts[0]?.seconds ?? wall) : wall));
      }
      return best;
    } finally {
      await algo.stop();
    }
  };
  const single = await rate(0);
  const two = await rate(2);
  return { env_steps_per_second_2_runners: two, env_steps_per_second_single_process: single, runners_speedup: two / single };
}

/** (b) Minibatch updates/s through the learner, beside a plain tfjs loop of the same networks and loss. */
async function learnerBench(): Promise<Record<string, number>> {
  const algo = ppoConfig("example", 1, 0).build();
  let framework: { updates: number; seconds: number };
  try {
    [framework] = (await algo.learnerGroup.foreachLearner(timedUpdates)) as [{ updates: number; seconds: number }];
  } finally {
    await algo.stop();
  }
  const plain = await plainTfjsUpdates();
  const fw = framework.updates / framework.seconds;
  return { learner_updates_per_second: fw, plain_tfjs_updates_per_second: plain, learner_share_of_plain_tfjs: fw / plain };
}

/** The same PPO loss on two 4-64-64 tanh MLPs with tfjs alone: variableGrads and tf.train.adam. */
async function plainTfjsUpdates(): Promise<number> {
  await tf.setBackend("wasm");
  const net = (outputs: number): tf.Variable[] => [4, 64, 64].flatMap((inputs, i) => {
    const out = i === 2 ? outputs : 64;
    return [tf.variable(tf.randomNormal([inputs, out], 0, 0.1)), tf.variable(tf.zeros([out]))];
  });
  const pi = net(2);
  const vf = net(1);
  const forward = (vars: tf.Variable[], x: tf.Tensor2D): tf.Tensor2D => {
    let h = x;
    for (let l = 0; l < 3; l++) {
      h = tf.add(tf.matMul(h, vars[2 * l] as tf.Variable), vars[2 * l + 1] as tf.Variable);
      if (l < 2) h = tf.tanh(h);
    }
    return h;
  };
  const opt = tf.train.adam(1e-3);
  const b = syntheticBatch(MINIBATCH * LEARNER_MINIBATCHES);
  const step = (i: number): void => {
    const rows = (a: Float32Array, w: number): Float32Array => a.slice(i * MINIBATCH * w, (i + 1) * MINIBATCH * w);
    tf.tidy(() => {
      const x = tf.tensor2d(rows(b.obs, 4), [MINIBATCH, 4]);
      opt.minimize(() => {
        const logp = tf.sum(tf.mul(tf.logSoftmax(forward(pi, x)), tf.oneHot(tf.tensor1d(rows(b.actions, 1), "int32"), 2)), 1);
        const ratio = tf.exp(tf.sub(logp, tf.tensor1d(rows(b.logp, 1))));
        const adv = tf.tensor1d(rows(b.advantages, 1));
        const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), adv));
        const v = tf.reshape(forward(vf, x), [MINIBATCH]);
        const vfLoss = tf.mean(tf.square(tf.sub(v, tf.tensor1d(rows(b.valueTargets, 1)))));
        return tf.add(tf.neg(tf.mean(surrogate)), tf.mul(0.5, vfLoss)) as tf.Scalar;
      });
    });
  };
  step(0);
  const start = performance.now();
  for (let i = 0; i < LEARNER_MINIBATCHES; i++) step(i);
  return LEARNER_MINIBATCHES / ((performance.now() - start) / 1000);
}

/** (c) Wall seconds and env steps to `target`, per seed; the medians. */
async function timeToTarget(which: string, seeds: number, target: number, maxSteps: number): Promise<Record<string, number>> {
  const runs: Array<{ seconds: number; steps: number; reached: boolean }> = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const algo = ppoConfig(which, seed).build();
    const start = performance.now();
    let r: rl.TrainResult;
    try {
      do r = await algo.train();
      while (!(r.envRunners.episodeReturnMean >= target) && r.numEnvStepsSampledLifetime < maxSteps && performance.now() - start < 600_000);
    } finally {
      await algo.stop();
    }
    runs.push({ seconds: (performance.now() - start) / 1000, steps: r.numEnvStepsSampledLifetime, reached: r.envRunners.episodeReturnMean >= target });
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  return {
    [`ppo_${which}_median_seconds`]: median(runs.map((r) => r.seconds)),
    [`ppo_${which}_median_env_steps`]: median(runs.map((r) => r.steps)),
    [`ppo_${which}_seeds_reached`]: runs.filter((r) => r.reached).length,
  };
}

/** (d) DQN: wall seconds and env steps until greedy evaluation reaches `target`, per seed; the medians. */
async function dqnTimeToTarget(seeds: number, target: number, maxSteps: number): Promise<Record<string, number>> {
  const runs: Array<{ seconds: number; steps: number; reached: boolean }> = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const algo = new rl.DQNConfig()
      .environment("CartPole-v1")
      .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 2, rolloutFragmentLength: 64 })
      .training({ lr: 1e-3, trainBatchSizePerLearner: 64, replayBuffer: { capacity: 50_000 }, numStepsSampledBeforeLearningStarts: 1000, targetNetworkUpdateFreq: 500, trainingIntensity: 16, epsilon: [[0, 1], [10_000, 0.04]], nStep: 3, gradClip: 10 })
      .rlModule({ fcnetHiddens: [64, 64], fcnetActivation: "relu" })
      .evaluation({ evaluationNumEpisodes: 5 })
      .debugging({ seed })
      .build();
    const start = performance.now();
    let reached = false;
    try {
      for (let i = 1; !reached && algo.numEnvStepsSampledLifetime < maxSteps && performance.now() - start < 600_000; i++) {
        await algo.train();
        if (i % 5 === 0) reached = (await algo.evaluate()).episodeReturnMean >= target;
      }
    } finally {
      await algo.stop();
    }
    runs.push({ seconds: (performance.now() - start) / 1000, steps: algo.numEnvStepsSampledLifetime, reached });
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  return { dqn_median_seconds: median(runs.map((r) => r.seconds)), dqn_median_env_steps: median(runs.map((r) => r.steps)), dqn_seeds_reached: runs.filter((r) => r.reached).length };
}

lux.main(async () => {
  await lux.init({ numCpus: 2 });
  const target = flag("target", quick ? 30 : 475);
  const seeds = flag("seeds", quick ? 1 : 3);
  const result: Record<string, number> = { ...(await samplingBench()), ...(await learnerBench()) };
  for (const which of settings) Object.assign(result, await timeToTarget(which, seeds, target, quick ? 20_000 : 500_000));
  result["ppo_target_return"] = target;
  Object.assign(result, await dqnTimeToTarget(seeds, quick ? 30 : 195, quick ? 20_000 : 500_000));
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(40)} ${Number.isInteger(v) ? v : v.toFixed(2)}`);
});
