/**
 * @lux/rl learns, on a cluster (2 env-runner actors): DQN's greedy evaluation on CartPole-v1
 * reaches 195. Seeded, so a run is the same each time; the bound is on iterations, with time
 * only as the test's deadline.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as rl from "@lux/rl";

before(async () => {
  await lux.init({ numCpus: 4 });
});

after(async () => {
  await lux.shutdown();
});

test("DQN's greedy evaluation on CartPole-v1 reaches 195 (n-step 3, double Q, uniform replay)", { timeout: 110_000 }, async () => {
  const algo = new rl.DQNConfig()
    .environment("CartPole-v1")
    .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 2, rolloutFragmentLength: 64, numCpusPerEnvRunner: 0.5 })
    .training({
      lr: 1e-3,
      trainBatchSizePerLearner: 64,
      replayBuffer: { capacity: 50_000 },
      numStepsSampledBeforeLearningStarts: 1000,
      targetNetworkUpdateFreq: 500,
      trainingIntensity: 16,
      epsilon: [[0, 1], [10_000, 0.04]],
      nStep: 3,
      gradClip: 10,
    })
    .rlModule({ fcnetHiddens: [64, 64], fcnetActivation: "relu" })
    .evaluation({ evaluationNumEpisodes: 5 })
    .debugging({ seed: 1 })
    .build();
  const deadline = Date.now() + 100_000;
  try {
    for (let i = 1; ; i++) {
      const r = await algo.train();
      if (i % 5 !== 0) continue;
      const e = await algo.evaluate();
      if (e.episodeReturnMean >= 195) {
        console.log(`DQN: greedy return ${e.episodeReturnMean} after ${i} iterations, ${r.numEnvStepsSampledLifetime} env steps`);
        break;
      }
      assert.ok(i < 60 && Date.now() < deadline, `greedy return ${e.episodeReturnMean} after ${i} iterations (${r.numEnvStepsSampledLifetime} env steps)`);
    }
  } finally {
    await algo.stop();
  }
});
