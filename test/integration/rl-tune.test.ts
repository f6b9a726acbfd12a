/**
 * @lux/rl's algorithms as Tune trainables (issue 22, point 3: "an Algorithm has Tune's
 * class-trainable shape"), through both public APIs on a real cluster: a Tuner over rl.PPO on a
 * GridWorld with a grid of learning rates; each trial's results are rl's train() results (a
 * nested metric ranks them), Tune saves each trial's Algorithm with its saveCheckpoint, and
 * rl.Algorithm.fromCheckpoint builds the best trial's algorithm back from that folder.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as rl from "@lux/rl";
import * as tune from "@lux/tune";

let storagePath = "";

before(async () => {
  await lux.init({ numCpus: 2 });
  storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "lux-rl-tune-test-"));
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(storagePath, { recursive: true, force: true });
});

const BATCH = 128;

/** A small PPO on a 3×3 GridWorld: one env-runner actor of half a CPU, learning in the trial's actor. */
const base = new rl.PPOConfig()
  .environment("GridWorld", { envConfig: { size: 3, walls: [], pits: [[1, 1]], goal: [2, 2] } })
  .envRunners({ numEnvRunners: 1, numEnvsPerEnvRunner: 4, numCpusPerEnvRunner: 0.5 })
  .training({ trainBatchSizePerLearner: BATCH, minibatchSize: 64, numEpochs: 2 })
  .rlModule({ fcnetHiddens: [16] })
  .debugging({ seed: 3 })
  .toDict();

test("a Tuner runs rl.PPO over 2 learning rates: rl's metrics in each trial's results, its checkpoint restored with Algorithm.fromCheckpoint", { timeout: 110_000 }, async () => {
  const lrs = [1e-3, 3e-3];
  // Each trial's actor holds half a CPU and its env runner the other half: both trials at once on 2 CPUs.
  const tuner = new tune.Tuner(tune.withResources(rl.PPO, { CPU: 0.5 }), {
    paramSpace: { ...base, lr: tune.gridSearch(lrs) },
    tuneConfig: { metric: "envRunners/episodeReturnMean", mode: "max" },
    runConfig: { storagePath, name: "ppo-grid", verbose: 0, stop: { trainingIteration: 2 }, checkpointConfig: { checkpointAtEnd: true } },
  });
  const grid = await tuner.fit();

  assert.equal(grid.numErrors, 0, `trial errors: ${grid.errors.map((e) => e.stack ?? String(e)).join("\n")}`);
  assert.equal(grid.numTerminated, 2);
  assert.deepEqual([...grid].map((r) => r.config.lr), lrs);
  for (const r of grid) {
    const history = r.metricsHistory;
    assert.deepEqual(history.map((h) => h["trainingIteration"]), [1, 2]);
    for (const h of history) {
      const runners = h["envRunners"] as rl.EnvRunnerMetrics;
      assert.ok(Number.isFinite(runners.episodeReturnMean), `envRunners.episodeReturnMean: ${runners.episodeReturnMean}`);
      assert.equal(runners.numHealthyEnvRunners, 1);
      assert.ok(Number.isFinite((h["learners"] as rl.PpoLearnerMetrics).policyLoss));
    }
    // rl counts the env steps it sampled: one train batch per iteration.
    assert.deepEqual(history.map((h) => h["numEnvStepsSampledLifetime"]), [BATCH, 2 * BATCH]);
    assert.ok(r.checkpoint !== undefined && fs.existsSync(r.checkpoint.path), `trial ${String(r.metrics["trialId"])} has no checkpoint`);
  }

  // The nested metric ranks the trials.
  const best = grid.getBestResult();
  const returns = [...grid].map((r) => (r.metrics["envRunners"] as rl.EnvRunnerMetrics).episodeReturnMean);
  assert.equal((best.metrics["envRunners"] as rl.EnvRunnerMetrics).episodeReturnMean, Math.max(...returns));

  // The folder Tune had the trial's PPO save into is an rl checkpoint: its config, counters and weights.
  const restored = await rl.Algorithm.fromCheckpoint(best.checkpoint?.path ?? "");
  try {
    assert.ok(restored instanceof rl.PPO);
    assert.equal(restored.config.lr, best.config.lr);
    assert.equal(restored.trainingIteration, 2);
    assert.equal(restored.numEnvStepsSampledLifetime, 2 * BATCH);
    const weights = await restored.envRunnerGroup.foreachEnvRunner((runner) => runner.getWeights());
    assert.deepEqual(weights, [restored.getWeights()], "the restored weights reached its env runner");
    const next = await restored.train();
    assert.equal(next.trainingIteration, 3);
    assert.equal(next.numEnvStepsSampledLifetime, 3 * BATCH);
  } finally {
    await restored.stop();
  }
});
