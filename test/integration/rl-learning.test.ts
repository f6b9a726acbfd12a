/**
 * @lux/rl learns, on a cluster (2 env-runner actors): PPO and DQN find the shortest path of a
 * 5×5 GridWorld with walls and a pit (greedy evaluation takes exactly the shortest path) within
 * 2 minutes each. Seeded, so a run is the same each time; the bound is on iterations, with time
 * only as the test's deadline. (DQN on CartPole: rl-learning-dqn.test.ts; PPO on CartPole:
 * examples-rl.test.ts.)
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

const envConfig: rl.GridWorldConfig = {
  size: 5,
  walls: [[1, 1], [1, 2], [1, 3], [3, 1], [3, 2], [3, 3]],
  pits: [[2, 3]],
  goal: [4, 4],
};
const SHORTEST = new rl.GridWorld(envConfig).shortestPathLength() as number;

/** Trains until greedy evaluation walks the shortest path to the goal; the iterations it took. */
async function untilShortestPath(algo: rl.Algorithm, maxIterations: number, deadlineMs: number): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  try {
    for (let i = 1; i <= maxIterations; i++) {
      await algo.train();
      const e = await algo.evaluate();
      if (e.episodeLenMean === SHORTEST && e.episodeReturnMean > 0.9) return i;
      assert.ok(Date.now() < deadline, `no shortest path after ${i} iterations and ${deadlineMs / 1000} s (last greedy episode: ${e.episodeLenMean} steps, return ${e.episodeReturnMean})`);
    }
    assert.fail(`no shortest path (${SHORTEST} steps) within ${maxIterations} iterations`);
  } finally {
    await algo.stop();
  }
}

test("the GridWorld's shortest path is 8 moves (around the walls, past the pit)", () => {
  assert.equal(SHORTEST, 8);
});

test("PPO with 2 env runners finds the shortest path on a 5×5 GridWorld within 2 minutes", { timeout: 150_000 }, async () => {
  const algo = new rl.PPOConfig()
    .environment("GridWorld", { envConfig })
    .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 4, numCpusPerEnvRunner: 0.5 })
    .training({ lr: 3e-3, trainBatchSizePerLearner: 512, minibatchSize: 128, numEpochs: 4, entropyCoeff: 0.01 })
    .rlModule({ fcnetHiddens: [32] })
    .evaluation({ evaluationNumEpisodes: 1 })
    .debugging({ seed: 1 })
    .build();
  const iterations = await untilShortestPath(algo, 30, 100_000);
  console.log(`PPO: shortest path after ${iterations} iterations`);
});

test("DQN with 2 env runners finds the shortest path on a 5×5 GridWorld within 2 minutes", { timeout: 150_000 }, async () => {
  const algo = new rl.DQNConfig()
    .environment("GridWorld", { envConfig })
    .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 2, numCpusPerEnvRunner: 0.5 })
    .training({
      lr: 1e-3,
      trainBatchSizePerLearner: 32,
      epsilon: [[0, 1], [3000, 0.05]],
      numStepsSampledBeforeLearningStarts: 200,
      targetNetworkUpdateFreq: 200,
      trainingIntensity: 8,
      replayBuffer: { capacity: 10_000, prioritized: { alpha: 0.6, beta: 0.4 } },
    })
    .rlModule({ fcnetHiddens: [32] })
    .evaluation({ evaluationNumEpisodes: 1 })
    .debugging({ seed: 1 })
    .build();
  const iterations = await untilShortestPath(algo, 150, 100_000);
  console.log(`DQN: shortest path after ${iterations} iterations`);
});
