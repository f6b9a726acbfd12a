/**
 * Type tests for @lux/rl: checked by `tsc` (npm run typecheck), never run. Builders give their
 * algorithm, `train()` results carry each algorithm's learner metrics, `training()` takes only
 * the algorithm's settings, and an Algorithm is a tune.Trainable (rl.PPO, rl.DQN run in a Tuner).
 * Each `@ts-expect-error` line must be an error.
 */
import * as rl from "@lux/rl";
import * as tune from "@lux/tune";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

const ppo = new rl.PPOConfig().environment("CartPole-v1").training({ lr: 1e-3, clipParam: 0.1 }).build();
assertEqual<typeof ppo, rl.PPO>(true);
const dqn = new rl.DQNConfig().environment("CartPole-v1").training({ doubleQ: false, replayBuffer: { capacity: 1000, prioritized: { alpha: 0.6, beta: 0.4 } } }).build();
assertEqual<typeof dqn, rl.DQN>(true);

// @ts-expect-error clipParam is PPO's, not DQN's
new rl.DQNConfig().training({ clipParam: 0.2 });
// @ts-expect-error lr is a number
new rl.PPOConfig().training({ lr: "fast" });
// @ts-expect-error the activation is one of tanh, relu, linear
new rl.PPOConfig().rlModule({ fcnetActivation: "gelu" });

async function results(): Promise<void> {
  const r = await ppo.train();
  assertEqual<typeof r.learners.policyLoss, number>(true);
  assertEqual<typeof r.envRunners.episodeReturnMean, number>(true);
  const d = await dqn.train();
  assertEqual<typeof d.learners.qfLoss, number>(true);
  // @ts-expect-error DQN's learners have no policyLoss
  void d.learners.policyLoss;
  const e = await ppo.evaluate();
  assertEqual<typeof e, rl.EvaluationResult>(true);
  const weights = await ppo.envRunnerGroup.foreachEnvRunner((runner) => runner.getWeights());
  assertEqual<typeof weights, rl.Weights[]>(true);
  const ranks = await ppo.learnerGroup.foreachLearner((learner) => learner.rank);
  assertEqual<typeof ranks, number[]>(true);
  const restored = await rl.Algorithm.fromCheckpoint("dir");
  assertEqual<typeof restored, rl.Algorithm>(true);
}
void results;

// Envs: the interface, spaces, a registered creator.
class Corridor implements rl.Env<number, number> {
  observationSpace = new rl.Discrete(4);
  actionSpace = new rl.Discrete(2);
  reset(): rl.ResetResult<number> {
    return { obs: 0, info: {} };
  }
  step(a: number): rl.StepResult<number> {
    return { obs: a, reward: 0, terminated: false, truncated: false, info: {} };
  }
}
rl.registerEnv("Corridor", (config: { length: number }, context) => (context.vectorIndex >= 0 && config.length > 0 ? new Corridor() : new Corridor()));
const env: rl.Env<Float32Array, number> = rl.makeEnv<Float32Array, number>("CartPole-v1");
void env;
// @ts-expect-error an env needs step
const broken: rl.Env<number, number> = { observationSpace: new rl.Discrete(2), actionSpace: new rl.Discrete(2), reset: () => ({ obs: 0, info: {} }) };
void broken;

// Tune's class trainable: an Algorithm is a tune.Trainable, and rl.PPO and rl.DQN are trainables
// of a Tuner whose space is a config dict with search domains in it.
const asTrainable: tune.Trainable<Partial<rl.AlgorithmConfigDict<rl.PPOTraining>>> = ppo;
void asTrainable;
const ppoSpace = { ...new rl.PPOConfig().environment("GridWorld").toDict(), lr: tune.gridSearch([1e-3, 3e-3]), clipParam: tune.uniform(0.1, 0.3) };
new tune.Tuner(rl.PPO, { paramSpace: ppoSpace, tuneConfig: { metric: "envRunners/episodeReturnMean", mode: "max" } });
new tune.Tuner(tune.withResources(rl.DQN, { CPU: 0.5 }), { paramSpace: { ...new rl.DQNConfig().toDict(), lr: tune.loguniform(1e-4, 1e-2), doubleQ: tune.choice([true, false]) } });
// @ts-expect-error the space makes lr a string, an Algorithm's config has a number
new tune.Tuner(rl.PPO, { paramSpace: { ...new rl.PPOConfig().toDict(), lr: tune.choice(["fast"]) } });
// @ts-expect-error a PPO is not a trainable of configs whose lr is a string
const notThat: tune.Trainable<{ lr: string }> = ppo;
void notThat;
