/**
 * PPO on CartPole-v1 with @lux/rl: two env-runner actors with four envs each sample in
 * parallel, the learner (tfjs, wasm) updates in the driver, and the new weights go out once per
 * iteration through the object store. It trains until the mean return of the last 100
 * episodes reaches the target, then evaluates greedily, saves a checkpoint and restores it.
 *
 *   npx tsx examples/rl-cartpole-ppo.ts                       # until 475 (at most 500k steps, 10 min)
 *   npx tsx examples/rl-cartpole-ppo.ts --target 150 --max-seconds 180 --seed 2
 *
 * CI runs the short setting (test/integration/examples.test.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as lux from "lux";
import * as rl from "@lux/rl";

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "475" },
    "max-steps": { type: "string", default: "500000" },
    "max-seconds": { type: "string", default: "600" },
    seed: { type: "string", default: "1" },
  },
});
const target = Number(values.target);
const maxSteps = Number(values["max-steps"]);
const maxMs = Number(values["max-seconds"]) * 1000;

lux.main(async () => {
  await lux.init({ numCpus: 2 });
  const algo = new rl.PPOConfig()
    .environment("CartPole-v1")
    .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 4, rolloutFragmentLength: 128 })
    .learners({ numLearners: 0 })
    .training({ lr: 1e-3, gamma: 0.99, lambda: 0.95, clipParam: 0.2, vfClipParam: Infinity, entropyCoeff: 0, vfLossCoeff: 0.5, numEpochs: 5, minibatchSize: 256, trainBatchSizePerLearner: 1024, gradClip: 0.5 })
    .rlModule({ fcnetHiddens: [64, 64], fcnetActivation: "tanh" })
    .evaluation({ evaluationNumEpisodes: 10 })
    .debugging({ seed: Number(values.seed) })
    .build();
  const started = Date.now();
  let result: rl.TrainResult<rl.PpoLearnerMetrics>;
  do {
    result = await algo.train();
    const { episodeReturnMean, numEpisodes } = result.envRunners;
    console.log(`iter ${result.trainingIteration} steps ${result.numEnvStepsSampledLifetime} return ${episodeReturnMean.toFixed(1)} episodes ${numEpisodes} (${(result.timeThisIterMs / 1000).toFixed(2)} s)`);
  } while (!(result.envRunners.episodeReturnMean >= target) && result.numEnvStepsSampledLifetime < maxSteps && Date.now() - started < maxMs);

  const reached = result.envRunners.episodeReturnMean >= target;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${reached ? "reached" : "did not reach"} ${target}: return ${result.envRunners.episodeReturnMean.toFixed(1)} after ${result.numEnvStepsSampledLifetime} steps, ${seconds} s`);

  const evaluation = await algo.evaluate();
  console.log(`greedy evaluation: return ${evaluation.episodeReturnMean.toFixed(1)} over ${evaluation.numEpisodes} episodes`);

  // A checkpoint, restored into a new algorithm (after this one's actors end: the new one's
  // runners need their CPUs).
  const env = new rl.CartPole();
  const { obs } = env.reset({ seed: 0 });
  const action = algo.computeSingleAction(obs, { explore: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-rl-cartpole-"));
  try {
    await algo.save(dir);
    await algo.stop();
    const restored = await rl.Algorithm.fromCheckpoint(dir);
    const same = restored.computeSingleAction(obs, { explore: false }) === action;
    console.log(`restored at iteration ${restored.trainingIteration}: ${same ? "same" : "different"} greedy action`);
    await restored.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!reached) process.exitCode = 1;
});
