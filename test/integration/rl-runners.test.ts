/**
 * @lux/rl's architecture on a cluster: env runners are actors with vectorized envs, weights go
 * out once per update through the object store and every runner acts with them, learners in
 * one actor compute what the driver's would, and two data-parallel learners (allreduce) keep
 * identical weights.
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

const cartpole = (learners: number): rl.PPOConfig =>
  new rl.PPOConfig()
    .environment("CartPole-v1")
    .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 4, rolloutFragmentLength: 16, numCpusPerEnvRunner: 0.5 })
    .learners({ numLearners: learners, numCpusPerLearner: 0.5 })
    .training({ trainBatchSizePerLearner: 128, minibatchSize: 64, numEpochs: 2 })
    .evaluation({ evaluationNumEpisodes: 4 })
    .debugging({ seed: 11 });

test("2 env-runner actors × 4 envs sample in parallel; each fetches each weights version once and acts with algo.getWeights()", async () => {
  const algo = cartpole(0).build();
  try {
    const r1 = await algo.train();
    assert.equal(r1.envRunners.numHealthyEnvRunners, 2);
    assert.equal(r1.envRunners.numEnvStepsSampled, 2 * 4 * 16);
    const r2 = await algo.train();
    assert.equal(r2.numEnvStepsSampledLifetime, 2 * 2 * 4 * 16);
    const runners = await algo.envRunnerGroup.foreachEnvRunner((r) => ({ index: r.workerIndex, pid: r.pid(), weights: r.getWeights(), fetches: r.numWeightFetches() }));
    assert.deepEqual(runners.map((r) => r.index), [1, 2]);
    assert.equal(new Set([process.pid, ...runners.map((r) => r.pid)]).size, 3, "each runner is a process of its own");
    for (const r of runners) {
      assert.deepEqual(r.weights, algo.getWeights());
      // The initial weights, then one version per update.
      assert.equal(r.fetches, 3);
    }
    const e = await algo.evaluate();
    assert.equal(e.numEpisodes, 4);
  } finally {
    await algo.stop();
  }
});

test("a learner actor computes exactly what the driver's learner does (same seed, same weights)", async () => {
  const local = cartpole(0).build();
  const remote = cartpole(1).build();
  try {
    for (let i = 0; i < 2; i++) await Promise.all([local.train(), remote.train()]);
    assert.deepEqual(remote.getWeights(), local.getWeights());
    const [pid] = await remote.learnerGroup.foreachLearner((l) => l.pid());
    assert.notEqual(pid, process.pid);
  } finally {
    await Promise.all([local.stop(), remote.stop()]);
  }
});

test("2 data-parallel learners average gradients with lux.util.collective.allreduce: identical weights after each update", async () => {
  const algo = cartpole(2).build();
  try {
    for (let i = 0; i < 3; i++) {
      const r = await algo.train();
      assert.ok(r.learners.numUpdates > 0);
      const learners = await algo.learnerGroup.foreachLearner((l) => ({ rank: l.rank, pid: l.pid(), weights: l.getWeights(), backend: l.backend() }));
      assert.deepEqual(learners.map((l) => l.rank), [0, 1]);
      assert.notEqual(learners[0]!.pid, learners[1]!.pid);
      assert.deepEqual(learners[1]!.weights, learners[0]!.weights);
      assert.deepEqual(learners[0]!.weights, algo.getWeights());
      assert.equal(learners[0]!.backend, "wasm");
    }
    // The batch was split in two shards of trainBatchSizePerLearner: 2 × 128 rows sampled.
    assert.equal((await algo.train()).envRunners.numEnvStepsSampled, 256);
  } finally {
    await algo.stop();
  }
});

test("stop() ends the runner and learner actors", async () => {
  const algo = cartpole(1).build();
  await algo.train();
  const runnerPids = await algo.envRunnerGroup.foreachEnvRunner((r) => r.pid());
  await algo.stop();
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 20_000;
  while (runnerPids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(runnerPids.filter(alive), []);
  await assert.rejects(algo.envRunnerGroup.foreachEnvRunner((r) => r.pid()), (e: unknown) => e instanceof lux.ActorDiedError);
});
