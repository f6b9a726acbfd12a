/**
 * @lux/rl's faults on a cluster: an env runner whose process dies mid-iteration is replaced
 * with the current weights and the iteration completes from the others (or, with restarts
 * off, train() rejects with EnvRunnerError); an env that throws names itself and its runner
 * (or is rebuilt, its episode dropped); an env that leaves its observation space is caught.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as rl from "@lux/rl";
import { makeFaultyCartPole, type FaultConfig } from "./fixtures/rl-defs.js";

let dir: string;

before(async () => {
  await lux.init({ numCpus: 4 });
  rl.registerEnv("FaultyCartPole", makeFaultyCartPole);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-rl-faults-"));
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A marker file that arms a fault once. */
function marker(name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, "");
  return file;
}

const faulty = (envConfig: FaultConfig, runners = 2): rl.PPOConfig =>
  new rl.PPOConfig()
    .environment("FaultyCartPole", { envConfig })
    .envRunners({ numEnvRunners: runners, numEnvsPerEnvRunner: 2, rolloutFragmentLength: 32, numCpusPerEnvRunner: 0.5 })
    .training({ trainBatchSizePerLearner: 64, minibatchSize: 32, numEpochs: 1 })
    .debugging({ seed: 5 });

test("a runner killed mid-iteration: the iteration completes from the other, numHealthyEnvRunners shows it, a replacement takes the current weights", async () => {
  const algo = faulty({ fault: "kill", runner: 2, atStep: 10, marker: marker("kill") }).build();
  try {
    const r1 = await algo.train();
    assert.equal(r1.envRunners.numHealthyEnvRunners, 1);
    assert.ok(r1.envRunners.numEnvStepsSampled >= 64, "the other runner sampled the batch");
    const r2 = await algo.train();
    assert.equal(r2.envRunners.numHealthyEnvRunners, 2);
    const weights = await algo.envRunnerGroup.foreachEnvRunner((r) => r.getWeights());
    assert.equal(weights.length, 2);
    for (const w of weights) assert.deepEqual(w, algo.getWeights());
  } finally {
    await algo.stop();
  }
});

test("with restartFailedEnvRunners false, a dead runner fails train() with EnvRunnerError caused by ActorDiedError", async () => {
  const algo = faulty({ fault: "kill", runner: 1, atStep: 5, marker: marker("kill-no-restart") }).faultTolerance({ restartFailedEnvRunners: false }).build();
  try {
    await assert.rejects(algo.train(), (e: unknown) => {
      assert.ok(e instanceof rl.EnvRunnerError, String(e));
      assert.equal(e.runner, 1);
      assert.ok(e.cause instanceof rl.ActorDiedError, String(e.cause));
      return true;
    });
  } finally {
    await algo.stop();
  }
});

test("an env whose step throws: train() rejects with EnvError naming the env, the runner and the sub-env", async () => {
  const algo = faulty({ fault: "throw", runner: 2, subEnv: 1, atStep: 7 }).build();
  try {
    await assert.rejects(algo.train(), (e: unknown) => {
      assert.ok(e instanceof rl.EnvError, String(e));
      assert.equal(e.env, "FaultyCartPole");
      assert.equal(e.runner, 2);
      assert.equal(e.subEnv, 1);
      assert.equal(e.method, "step");
      assert.match(e.message, /env "FaultyCartPole" threw in step\(\) \(env runner 2, sub-env 1\): RangeError: the pole broke/);
      return true;
    });
  } finally {
    await algo.stop();
  }
});

test("restartFailedSubEnvironments: the sub-env is rebuilt, its episode dropped, training goes on", async () => {
  const algo = faulty({ fault: "throw", runner: 1, subEnv: 0, atStep: 7, marker: marker("throw-once") }, 1).faultTolerance({ restartFailedSubEnvironments: true }).build();
  try {
    const r = await algo.train();
    assert.equal(r.envRunners.numHealthyEnvRunners, 1);
    assert.equal(fs.existsSync(path.join(dir, "throw-once")), false, "the fault fired");
    // A round is 2 envs × 32 steps; less the step that threw it is 63 rows, short of the 64
    // wanted, so a second round is sampled: 127 rows, 3 minibatches of 32.
    assert.equal(r.envRunners.numEnvStepsSampled, 128);
    assert.equal(r.learners.numUpdates, 3);
    assert.ok((await algo.train()).trainingIteration === 2);
  } finally {
    await algo.stop();
  }
});

test("an env returning an observation outside its space: EnvCheckError naming the env, the value and the space", async () => {
  const algo = faulty({ fault: "obs", runner: 1, atStep: 3 }, 1).build();
  try {
    await assert.rejects(algo.train(), (e: unknown) => {
      assert.ok(e instanceof rl.EnvCheckError, String(e));
      assert.equal(e.env, "FaultyCartPole");
      assert.match(e.value, /^Float32Array \[0, 0, 99, 0\]$/);
      assert.match(e.space ?? "", /^Box\(low=\[-4.8, /);
      return true;
    });
  } finally {
    await algo.stop();
  }
});
