/**
 * DQN (RLlib's): env runners act epsilon-greedily (epsilon linear between the schedule's
 * points, in env steps sampled), n-step transitions go into a replay buffer in the driver
 * (uniform or prioritized), and the learners take Huber-loss gradient steps on replayed
 * minibatches (double Q by default) against a target network copied every
 * targetNetworkUpdateFreq env steps. `trainingIntensity` is replayed ÷ sampled steps.
 */
import { AlgorithmConfig, type CommonTraining } from "../config/algorithm-config.js";
import type { DqnLearnerMetrics } from "../learner/dqn-update.js";
import { dqnModuleSpec, type ModuleSpec } from "../model/module-spec.js";
import { ReplayBuffer } from "../replay/replay-buffer.js";
import type { DqnBatch } from "../runner/sample-batch.js";
import type { Space } from "../spaces.js";
import { Algorithm } from "./algorithm.js";

export interface ReplayBufferConfig {
  capacity: number;
  /** Prioritized replay: sample in proportion to |TD error|^alpha, importance weights with exponent beta. */
  prioritized?: { alpha: number; beta: number };
}

export interface DQNTraining extends CommonTraining {
  replayBuffer: ReplayBufferConfig;
  /** Env steps sampled between copies of the weights into the target network. */
  targetNetworkUpdateFreq: number;
  doubleQ: boolean;
  nStep: number;
  /** Exploration: [envSteps, epsilon] points, linear between them, the last value after. */
  epsilon: Array<[number, number]>;
  /** Replayed ÷ sampled env steps; undefined: one minibatch per sampling round. */
  trainingIntensity: number | undefined;
  /** Env steps sampled before the first gradient step. */
  numStepsSampledBeforeLearningStarts: number;
}

const DQN_DEFAULTS: DQNTraining = {
  lr: 5e-4,
  gamma: 0.99,
  trainBatchSizePerLearner: 32,
  gradClip: 40,
  replayBuffer: { capacity: 50_000 },
  targetNetworkUpdateFreq: 500,
  doubleQ: true,
  nStep: 1,
  epsilon: [
    [0, 1],
    [10_000, 0.05],
  ],
  trainingIntensity: undefined,
  numStepsSampledBeforeLearningStarts: 1000,
};

export class DQNConfig extends AlgorithmConfig<DQNTraining, DQN> {
  constructor() {
    super("DQN", DQN_DEFAULTS);
  }

  build(): DQN {
    return new DQN(this);
  }

  protected trainingDefaults(): DQNTraining {
    return structuredClone(DQN_DEFAULTS);
  }

  /** @internal */
  validated(): { observationSpace: Space; actionSpace: Space } {
    const spaces = this.validateCommon();
    const s = this.settings;
    const c = this.check;
    if (spaces.actionSpace.kind !== "Discrete") c.fail("env", s.env, `has the action space ${spaces.actionSpace.toString()}; DQN needs a Discrete action space (use PPO for Box actions)`);
    const rb = typeof s.replayBuffer === "object" && s.replayBuffer !== null ? s.replayBuffer : c.fail("replayBuffer", s.replayBuffer, "must be { capacity, prioritized? }");
    c.int("replayBuffer.capacity", rb.capacity, s.trainBatchSizePerLearner * Math.max(1, s.numLearners));
    if (rb.prioritized !== undefined) {
      c.nonNegative("replayBuffer.prioritized.alpha", rb.prioritized.alpha);
      c.within("replayBuffer.prioritized.beta", rb.prioritized.beta, 0, 1, true);
    }
    c.int("targetNetworkUpdateFreq", s.targetNetworkUpdateFreq, 1);
    if (typeof s.doubleQ !== "boolean") c.fail("doubleQ", s.doubleQ, "must be true or false");
    c.int("nStep", s.nStep, 1);
    const points = s.epsilon;
    const okPoints = Array.isArray(points) && points.length > 0 && points.every((p, i) => Array.isArray(p) && p.length === 2 && p[0] >= (points[i - 1]?.[0] ?? 0) && p[1] >= 0 && p[1] <= 1);
    if (!okPoints) c.fail("epsilon", points, "must be [[envSteps, epsilon], …] with steps ascending from 0 and each epsilon in [0, 1]");
    if (s.trainingIntensity !== undefined) c.positive("trainingIntensity", s.trainingIntensity);
    c.int("numStepsSampledBeforeLearningStarts", s.numStepsSampledBeforeLearningStarts, 0);
    return spaces;
  }
}

export class DQN extends Algorithm<DQNTraining, Omit<DqnLearnerMetrics, never>> {
  private buffer: ReplayBuffer | undefined;
  /** Gradient steps owed (fractional) under trainingIntensity. */
  private owedUpdates = 0;
  private stepsSinceTargetUpdate = 0;

  protected defaultConfig(): DQNConfig {
    return new DQNConfig();
  }

  protected moduleSpec(obs: Space, action: Space): ModuleSpec {
    return dqnModuleSpec(obs, action, this.config);
  }

  protected runnerExtras(): { lambda: number; nStep: number } {
    return { lambda: 1, nStep: this.config.nStep };
  }

  protected override explorationEpsilon(): number {
    return epsilonAt(this.config.epsilon, this.numEnvStepsSampledLifetime);
  }

  protected async trainingStep(): Promise<DqnLearnerMetrics> {
    const c = this.config;
    const buffer = (this.buffer ??= new ReplayBuffer(c.replayBuffer.capacity, c.replayBuffer.prioritized));
    const steps = this.fragmentLength(16);
    const samples = await this.sampleRound({ steps, epsilon: this.explorationEpsilon() });
    let sampled = 0;
    for (const s of samples) {
      buffer.add(s.batch as DqnBatch);
      sampled += s.envSteps;
    }
    const batchSize = c.trainBatchSizePerLearner * Math.max(1, c.numLearners);
    const metrics: DqnLearnerMetrics = { qfLoss: Number.NaN, qfMean: Number.NaN, tdErrorMean: Number.NaN, numUpdates: 0 };
    if (this.numEnvStepsSampledLifetime < c.numStepsSampledBeforeLearningStarts || buffer.size < batchSize) return metrics;
    this.owedUpdates += c.trainingIntensity === undefined ? 1 : (sampled * c.trainingIntensity) / batchSize;
    const n = Math.floor(this.owedUpdates);
    this.owedUpdates -= n;
    const sums = { qfLoss: 0, qfMean: 0, tdErrorMean: 0 };
    for (let i = 0; i < n; i++) {
      const { batch, indices, weights } = buffer.sample(batchSize, this.rng);
      const r = await this.learnerGroup.dqnStep(batch, weights, { doubleQ: c.doubleQ });
      buffer.updatePriorities(indices, r.tdErrors);
      sums.qfLoss += r.qfLoss;
      sums.qfMean += r.qfMean;
      sums.tdErrorMean += r.tdErrors.reduce((a, b) => a + b, 0) / Math.max(1, r.tdErrors.length);
    }
    this.stepsSinceTargetUpdate += sampled;
    if (this.stepsSinceTargetUpdate >= c.targetNetworkUpdateFreq) {
      this.stepsSinceTargetUpdate = 0;
      await this.learnerGroup.updateTarget();
    }
    if (n > 0) await this.publish(await this.learnerGroup.getWeights());
    return n === 0 ? metrics : { qfLoss: sums.qfLoss / n, qfMean: sums.qfMean / n, tdErrorMean: sums.tdErrorMean / n, numUpdates: n };
  }

  protected override extraState(): Record<string, unknown> {
    return { owedUpdates: this.owedUpdates, stepsSinceTargetUpdate: this.stepsSinceTargetUpdate };
  }

  protected override loadExtraState(state: Record<string, unknown>): void {
    this.owedUpdates = Number(state["owedUpdates"] ?? 0);
    this.stepsSinceTargetUpdate = Number(state["stepsSinceTargetUpdate"] ?? 0);
  }
}

Algorithm.registerAlgorithm("DQN", () => new DQNConfig() as unknown as AlgorithmConfig<CommonTraining, unknown>);

/** The schedule's value at `t` env steps: linear between points, the last point's value after it. */
export function epsilonAt(points: ReadonlyArray<readonly [number, number]>, t: number): number {
  let prev = points[0] as readonly [number, number];
  if (t <= prev[0]) return prev[1];
  for (const p of points.slice(1)) {
    if (t < p[0]) return prev[1] + ((p[1] - prev[1]) * (t - prev[0])) / (p[0] - prev[0]);
    prev = p;
  }
  return prev[1];
}
