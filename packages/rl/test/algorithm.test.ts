/**
 * Algorithms in one process (env runner and learner in the driver, tfjs wasm): seeded runs
 * are identical, checkpoints bring back weights, optimizer state, config and counters,
 * single actions come from the current weights.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import type * as tune from "@lux/tune";
import * as rl from "../src/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-rl-algo-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const gridPpo = (seed: number): rl.PPOConfig =>
  new rl.PPOConfig()
    .environment("GridWorld", { envConfig: { size: 4, maxEpisodeSteps: 16 } })
    .envRunners({ numEnvRunners: 0, numEnvsPerEnvRunner: 2 })
    .training({ trainBatchSizePerLearner: 64, minibatchSize: 32, numEpochs: 2, lr: 1e-3 })
    .rlModule({ fcnetHiddens: [16] })
    .evaluation({ evaluationNumEpisodes: 2 })
    .debugging({ seed });

async function trained(config: rl.PPOConfig | rl.DQNConfig, iterations: number): Promise<rl.Algorithm> {
  const algo = config.build() as rl.Algorithm;
  for (let i = 0; i < iterations; i++) await algo.train();
  return algo;
}

describe("seeds", () => {
  test("the same seed gives the same weights and metrics; another seed does not", async () => {
    const [a, b, c] = await Promise.all([trained(gridPpo(5), 2), trained(gridPpo(5), 2), trained(gridPpo(6), 2)]);
    assert.deepEqual(a.getWeights(), b.getWeights());
    assert.notDeepEqual(a.getWeights(), c.getWeights());
    const [ra, rb] = [await a.train(), await b.train()];
    assert.deepEqual({ ...ra, timeThisIterMs: 0, timeTotalMs: 0 }, { ...rb, timeThisIterMs: 0, timeTotalMs: 0 });
    assert.equal(ra.trainingIteration, 3);
    assert.equal(ra.numEnvStepsSampledLifetime, 3 * 64);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  });
});

describe("train() results", () => {
  test("PPO: envRunners and learners metrics, counters and time", async () => {
    const algo = gridPpo(1).build();
    const r = await algo.train();
    assert.equal(r.trainingIteration, 1);
    assert.equal(r.envRunners.numHealthyEnvRunners, 1);
    assert.equal(r.envRunners.numEnvStepsSampled, 64);
    assert.ok(r.envRunners.numEpisodes > 0);
    assert.ok(Number.isFinite(r.envRunners.episodeReturnMean) && Number.isFinite(r.envRunners.episodeLenMean));
    for (const k of ["policyLoss", "vfLoss", "entropy", "meanKl"] as const) assert.ok(Number.isFinite(r.learners[k]), k);
    assert.equal(r.learners.numUpdates, 4);
    assert.ok(r.timeThisIterMs > 0);
    const e = await algo.evaluate();
    assert.equal(e.numEpisodes, 2);
    await algo.stop();
  });

  test("evaluationInterval adds evaluation to train()'s result on those iterations", async () => {
    const algo = gridPpo(1).evaluation({ evaluationInterval: 2, evaluationNumEpisodes: 1 }).build();
    assert.equal((await algo.train()).evaluation, undefined);
    assert.equal((await algo.train()).evaluation?.numEpisodes, 1);
    await algo.stop();
  });
});

describe("checkpoints", () => {
  test("fromCheckpoint brings back the weights, optimizer state, config and counters; training goes on", async () => {
    const algo = await trained(gridPpo(3), 2);
    const ckpt = await algo.save(path.join(dir, "ppo"));
    assert.equal(ckpt, path.join(dir, "ppo"));
    const back = await rl.Algorithm.fromCheckpoint(ckpt);
    assert.ok(back instanceof rl.PPO);
    assert.deepEqual(back.getWeights(), algo.getWeights());
    assert.deepEqual(back.config, algo.config);
    assert.equal(back.trainingIteration, 2);
    assert.equal(back.numEnvStepsSampledLifetime, algo.numEnvStepsSampledLifetime);
    const [s1, s2] = [await algo.learnerGroup.getState(), await back.learnerGroup.getState()];
    assert.deepEqual(s2.optimizer, s1.optimizer);
    assert.ok(s1.optimizer.t > 0);
    const r = await back.train();
    assert.equal(r.trainingIteration, 3);
    assert.equal(r.numEnvStepsSampledLifetime, 3 * 64);
    await Promise.all([algo.stop(), back.stop()]);
  });

  test("DQN keeps its target network; loadCheckpoint of another algorithm or of no checkpoint is RlCheckpointError", async () => {
    const dqn = await trained(
      new rl.DQNConfig()
        .environment("GridWorld", { envConfig: { size: 3 } })
        .envRunners({ numEnvRunners: 0 })
        .training({ numStepsSampledBeforeLearningStarts: 32, targetNetworkUpdateFreq: 16, trainBatchSizePerLearner: 16, trainingIntensity: 4 })
        .rlModule({ fcnetHiddens: [8] })
        .debugging({ seed: 2 }),
      4,
    );
    const ckpt = await dqn.save(path.join(dir, "dqn"));
    const back = await rl.Algorithm.fromCheckpoint(ckpt);
    assert.ok(back instanceof rl.DQN);
    assert.deepEqual((await back.learnerGroup.getState()).targetWeights, (await dqn.learnerGroup.getState()).targetWeights);
    const ppo = gridPpo(1).build();
    await assert.rejects(ppo.loadCheckpoint(ckpt), (e: unknown) => e instanceof rl.RlCheckpointError && /holds a DQN algorithm, this is PPO/.test(e.message));
    await assert.rejects(rl.Algorithm.fromCheckpoint(path.join(dir, "nothing")), (e: unknown) => e instanceof rl.RlCheckpointError && e.path === path.join(dir, "nothing"));
    await Promise.all([dqn.stop(), back.stop(), ppo.stop()]);
  });
});

describe("computeSingleAction", () => {
  test("greedy actions are the same every time and in the action space; exploring ones vary", async () => {
    const algo = await trained(gridPpo(4), 1);
    const greedy = new Set(Array.from({ length: 20 }, () => algo.computeSingleAction(0, { explore: false })));
    assert.equal(greedy.size, 1);
    assert.ok(new rl.Discrete(4).contains([...greedy][0]));
    const explored = new Set(Array.from({ length: 200 }, () => algo.computeSingleAction(0)));
    assert.ok(explored.size > 1);
    await algo.stop();
  });
});

describe("Tune's class-trainable shape", () => {
  test("new PPO() then setup(dict), step(), saveCheckpoint, loadCheckpoint, resetConfig, cleanup", async () => {
    // The class as the Tuner takes it: `new Cls()` makes a tune.Trainable.
    const Trainable: tune.TrainableClass<Partial<rl.AlgorithmConfigDict<rl.PPOTraining>>> = rl.PPO;
    const t = new Trainable();
    await t.setup({ ...gridPpo(1).toDict(), lr: 5e-3 });
    const result = (await t.step()) as rl.TrainResult;
    assert.equal(result.trainingIteration, 1);
    await t.saveCheckpoint(path.join(dir, "tune"));
    const u = new rl.PPO(gridPpo(1).toDict());
    await u.loadCheckpoint(path.join(dir, "tune"));
    assert.deepEqual(u.getWeights(), (t as rl.PPO).getWeights());
    assert.equal(await t.resetConfig({}), false);
    await t.cleanup();
    await u.cleanup();
  });
});

/** A one-step bandit with a continuous action: the reward peaks at a = 0.5. */
class Target implements rl.Env<Float32Array, Float32Array> {
  observationSpace = new rl.Box({ low: -1, high: 1, shape: [1] });
  actionSpace = new rl.Box({ low: -1, high: 1, shape: [1] });
  reset(): rl.ResetResult<Float32Array> {
    return { obs: Float32Array.of(0), info: {} };
  }
  step(a: Float32Array): rl.StepResult<Float32Array> {
    assert.ok(this.actionSpace.contains(a), "actions are clipped to the Box");
    return { obs: Float32Array.of(0), reward: 1 - 4 * (a[0]! - 0.5) ** 2, terminated: true, truncated: false, info: {} };
  }
}

describe("PPO on a Box action space (diagonal Gaussian)", () => {
  test("learns the best continuous action; greedy actions are the mean", async () => {
    rl.registerEnv("Target-test", () => new Target());
    const algo = new rl.PPOConfig()
      .environment("Target-test")
      .envRunners({ numEnvRunners: 0, numEnvsPerEnvRunner: 8 })
      .training({ lr: 1e-2, trainBatchSizePerLearner: 256, minibatchSize: 64, numEpochs: 4 })
      .rlModule({ fcnetHiddens: [8] })
      .debugging({ seed: 1 })
      .build();
    const before = algo.computeSingleAction(Float32Array.of(0), { explore: false }) as Float32Array;
    assert.ok(before instanceof Float32Array && Math.abs(before[0]!) < 0.1, `starts near 0: ${before[0]}`);
    for (let i = 0; i < 25; i++) await algo.train();
    const after = algo.computeSingleAction(Float32Array.of(0), { explore: false }) as Float32Array;
    assert.ok(Math.abs(after[0]! - 0.5) < 0.1, `greedy action ${after[0]} should be near 0.5`);
    await algo.stop();
  });
});
