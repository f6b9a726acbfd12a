/**
 * `@lux/rl`: reinforcement learning on Lux (RLlib for TypeScript). Algorithms (PPO, DQN) are
 * configured by builders; env runners are actors that step vectorized envs with a copy of the
 * policy; learners update tfjs networks (in the driver, in an actor, or as data-parallel
 * actors averaging gradients with lux.util.collective); weights go out once per update
 * through the object store. See docs/rl.md.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import * as rl from "@lux/rl";
 *
 * lux.main(async () => {
 *   await lux.init();
 *   const algo = new rl.PPOConfig()
 *     .environment("CartPole-v1")
 *     .envRunners({ numEnvRunners: 2, numEnvsPerEnvRunner: 4 })
 *     .training({ lr: 3e-4, trainBatchSizePerLearner: 1024 })
 *     .debugging({ seed: 1 })
 *     .build();
 *   for (let i = 0; i < 50; i++) console.log((await algo.train()).envRunners.episodeReturnMean);
 *   await algo.save("checkpoints/cartpole");
 *   await algo.stop();
 * });
 * ```
 */
export type { Env, EnvContext, EnvCreator, EnvInfo, ResetOptions, ResetResult, StepResult } from "./env.js";
export { Box, Discrete, type Space } from "./spaces.js";
export { Rng, type RandomSource } from "./rng.js";
export { registerEnv, makeEnv, registeredEnvIds } from "./env-registry.js";
export { checkEnv, type CheckEnvOptions } from "./env-check.js";
export { CartPole } from "./envs/cartpole.js";
export { GridWorld, type GridWorldConfig, type Cell } from "./envs/grid-world.js";
export {
  AlgorithmConfig,
  type AlgorithmConfigDict,
  type CommonSettings,
  type CommonTraining,
  type EnvRunnersOptions,
  type LearnersOptions,
  type RLModuleOptions,
  type EvaluationOptions,
  type FaultToleranceOptions,
} from "./config/algorithm-config.js";
export { Algorithm } from "./algorithm/algorithm.js";
export { PPO, PPOConfig, type PPOTraining } from "./algorithm/ppo.js";
export { DQN, DQNConfig, type DQNTraining, type ReplayBufferConfig } from "./algorithm/dqn.js";
export type { TrainResult, EvaluationResult, EnvRunnerMetrics } from "./algorithm/results.js";
export type { PpoLearnerMetrics } from "./learner/ppo-update.js";
export type { DqnLearnerMetrics } from "./learner/dqn-update.js";
export type { EnvRunner } from "./runner/env-runner.js";
export type { EnvRunnerGroup } from "./runner/env-runner-group.js";
export type { Learner } from "./learner/learner.js";
export type { LearnerGroup } from "./learner/learner-group.js";
export type { TfjsBackend } from "./learner/tf-backend.js";
export type { Activation } from "./model/mlp.js";
export type { Weights } from "./model/weights.js";
export {
  UnknownEnvError,
  InvalidEnvConfigError,
  EnvCheckError,
  EnvError,
  EnvRunnerError,
  AlgorithmConfigError,
  RlCheckpointError,
  ActorDiedError,
} from "lux";
