/** Algorithm configs: the builders, unknown keys, and build()'s checks naming the field. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as rl from "../src/index.js";

/** A config that passes every check and learns nothing (nothing runs until train()). */
const ppo = (): rl.PPOConfig => new rl.PPOConfig().environment("CartPole-v1").envRunners({ numEnvRunners: 0 });

function refused(build: () => unknown, field: string, problem: RegExp): void {
  assert.throws(build, (e: unknown) => {
    assert.ok(e instanceof rl.AlgorithmConfigError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, problem);
    return true;
  });
}

class BoxActions implements rl.Env<number[], Float32Array> {
  observationSpace = new rl.Box({ low: -1, high: 1, shape: [1] });
  actionSpace = new rl.Box({ low: -1, high: 1, shape: [1] });
  reset(): rl.ResetResult<number[]> {
    return { obs: [0], info: {} };
  }
  step(): rl.StepResult<number[]> {
    return { obs: [0], reward: 0, terminated: true, truncated: false, info: {} };
  }
}

describe("build() refuses bad settings, naming the field", () => {
  test("minibatchSize > trainBatchSizePerLearner", () => {
    refused(() => ppo().training({ minibatchSize: 512, trainBatchSizePerLearner: 256 }).build(), "minibatchSize", /minibatchSize = 512 must not exceed trainBatchSizePerLearner \(256\)/);
  });

  test("numEnvRunners < 0", () => {
    refused(() => ppo().envRunners({ numEnvRunners: -1 }).build(), "numEnvRunners", /numEnvRunners = -1 must be an integer ≥ 0/);
  });

  test("lr ≤ 0", () => {
    refused(() => ppo().training({ lr: 0 }).build(), "lr", /lr = 0 must be a number > 0/);
    refused(() => ppo().training({ lr: -1e-3 }).build(), "lr", /lr = -0.001/);
  });

  test("gamma outside (0, 1]", () => {
    refused(() => ppo().training({ gamma: 0 }).build(), "gamma", /gamma = 0 must be in \(0, 1\]/);
    refused(() => ppo().training({ gamma: 1.5 }).build(), "gamma", /gamma = 1.5/);
    assert.doesNotThrow(() => ppo().training({ gamma: 1 }).validated());
  });

  test("DQN on a non-Discrete action space", () => {
    rl.registerEnv("BoxActions-test", () => new BoxActions());
    refused(() => new rl.DQNConfig().environment("BoxActions-test").envRunners({ numEnvRunners: 0 }).build(), "env", /action space Box\(low=-1, high=1, shape=\[1\]\); DQN needs a Discrete action space/);
  });

  test("an unknown env id lists the registered ones", () => {
    assert.throws(() => new rl.PPOConfig().environment("Nope-v0").build(), (e: unknown) => e instanceof rl.UnknownEnvError && e.registered.includes("GridWorld"));
  });

  test("no env, and other fields", () => {
    refused(() => new rl.PPOConfig().build(), "env", /must be set/);
    refused(() => ppo().envRunners({ numEnvsPerEnvRunner: 0 }).build(), "numEnvsPerEnvRunner", /≥ 1/);
    refused(() => ppo().learners({ numLearners: 1.5 }).build(), "numLearners", /integer/);
    refused(() => ppo().training({ lambda: 2 }).build(), "lambda", /\[0, 1\]/);
    refused(() => ppo().rlModule({ fcnetHiddens: [64, 0] }).build(), "fcnetHiddens", /positive integers/);
    refused(() => new rl.DQNConfig().environment("CartPole-v1").training({ epsilon: [[0, 2]] }).build(), "epsilon", /each epsilon in \[0, 1\]/);
    refused(() => new rl.DQNConfig().environment("CartPole-v1").training({ replayBuffer: { capacity: 8 } }).build(), "replayBuffer.capacity", /≥ 32/);
  });

  test("a setter given an unknown key names it and lists the known ones", () => {
    refused(() => ppo().training({ learningRate: 1 } as never), "training.learningRate", /is not a setting of training\(\); they are lr, gamma/);
    refused(() => ppo().envRunners({ numWorkers: 2 } as never), "envRunners.numWorkers", /numEnvRunners/);
  });
});

describe("configs as data", () => {
  test("toDict has every setting with its default; updateFromDict and copy round-trip", () => {
    const d = new rl.PPOConfig().environment("CartPole-v1", { envConfig: { a: 1 } }).training({ lr: 1e-3 }).toDict();
    assert.equal(d.algorithm, "PPO");
    assert.equal(d.lr, 1e-3);
    assert.equal(d.clipParam, 0.2);
    assert.deepEqual(d.envConfig, { a: 1 });
    assert.deepEqual(d.fcnetHiddens, [64, 64]);
    assert.deepEqual(new rl.PPOConfig().updateFromDict(d).toDict(), d);
    const base = new rl.PPOConfig().environment("CartPole-v1");
    const copy = base.copy().training({ lr: 0.5 });
    assert.equal(base.toDict().lr, 3e-4);
    assert.equal(copy.toDict().lr, 0.5);
    refused(() => new rl.PPOConfig().updateFromDict({ algorithm: "DQN" }), "algorithm", /is not PPO/);
  });
});
