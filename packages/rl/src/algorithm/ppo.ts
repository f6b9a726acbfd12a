/**
 * PPO (RLlib's, with GAE, the clipped surrogate and value-loss clipping): each iteration
 * samples rounds from the env runners until it has trainBatchSizePerLearner × the learners'
 * rows, standardizes the advantages, and updates for numEpochs epochs of minibatches.
 */
import { AlgorithmConfig, type CommonTraining } from "../config/algorithm-config.js";
import type { PpoLearnerMetrics } from "../learner/ppo-update.js";
import { ppoModuleSpec, type ModuleSpec } from "../model/module-spec.js";
import { concatBatches, type PpoBatch } from "../runner/sample-batch.js";
import type { Space } from "../spaces.js";
import { Algorithm } from "./algorithm.js";

export interface PPOTraining extends CommonTraining {
  /** GAE's λ. */
  lambda: number;
  /** The surrogate's ratio clip ε. */
  clipParam: number;
  /** The value loss (squared error) of each sample is clipped at this; Infinity: no clipping. */
  vfClipParam: number;
  entropyCoeff: number;
  vfLossCoeff: number;
  numEpochs: number;
  minibatchSize: number;
}

const PPO_DEFAULTS: PPOTraining = {
  lr: 3e-4,
  gamma: 0.99,
  trainBatchSizePerLearner: 2048,
  gradClip: 0.5,
  lambda: 0.95,
  clipParam: 0.2,
  vfClipParam: 10,
  entropyCoeff: 0,
  vfLossCoeff: 0.5,
  numEpochs: 10,
  minibatchSize: 128,
};

export class PPOConfig extends AlgorithmConfig<PPOTraining, PPO> {
  constructor() {
    super("PPO", PPO_DEFAULTS);
  }

  build(): PPO {
    return new PPO(this);
  }

  protected trainingDefaults(): PPOTraining {
    return structuredClone(PPO_DEFAULTS);
  }

  /** @internal */
  validated(): { observationSpace: Space; actionSpace: Space } {
    const spaces = this.validateCommon();
    const s = this.settings;
    const c = this.check;
    c.within("lambda", s.lambda, 0, 1, true);
    c.positive("clipParam", s.clipParam);
    c.positive("vfClipParam", s.vfClipParam);
    c.nonNegative("entropyCoeff", s.entropyCoeff);
    c.nonNegative("vfLossCoeff", s.vfLossCoeff);
    c.int("numEpochs", s.numEpochs, 1);
    c.int("minibatchSize", s.minibatchSize, 1);
    if (s.minibatchSize > s.trainBatchSizePerLearner) c.fail("minibatchSize", s.minibatchSize, `must not exceed trainBatchSizePerLearner (${s.trainBatchSizePerLearner})`);
    return spaces;
  }
}

export class PPO extends Algorithm<PPOTraining, Omit<PpoLearnerMetrics, "numUpdates"> & { numUpdates: number }> {
  protected defaultConfig(): PPOConfig {
    return new PPOConfig();
  }

  protected moduleSpec(obs: Space, action: Space): ModuleSpec {
    return ppoModuleSpec(obs, action, this.config);
  }

  protected runnerExtras(): { lambda: number; nStep: number } {
    return { lambda: this.config.lambda, nStep: 1 };
  }

  protected async trainingStep(): Promise<PpoLearnerMetrics> {
    const c = this.config;
    const want = c.trainBatchSizePerLearner * Math.max(1, c.numLearners);
    const envs = Math.max(1, c.numEnvRunners) * c.numEnvsPerEnvRunner;
    const steps = this.fragmentLength(Math.ceil(want / envs));
    const batches: PpoBatch[] = [];
    let rows = 0;
    while (rows < want) {
      for (const s of await this.sampleRound({ steps })) {
        batches.push(s.batch as PpoBatch);
        rows += s.batch.count;
      }
    }
    const batch = standardizeAdvantages(concatBatches(batches));
    const { weights, ...metrics } = await this.learnerGroup.updatePpo(batch, {
      clipParam: c.clipParam,
      vfClipParam: c.vfClipParam,
      entropyCoeff: c.entropyCoeff,
      vfLossCoeff: c.vfLossCoeff,
      numEpochs: c.numEpochs,
      minibatchSize: c.minibatchSize,
    });
    await this.publish(weights);
    return metrics;
  }
}

Algorithm.registerAlgorithm("PPO", () => new PPOConfig() as unknown as AlgorithmConfig<CommonTraining, unknown>);

/** Advantages with mean 0 and standard deviation 1 over the whole train batch. */
function standardizeAdvantages(batch: PpoBatch): PpoBatch {
  const a = batch.advantages;
  let mean = 0;
  for (const v of a) mean += v;
  mean /= Math.max(1, a.length);
  let sq = 0;
  for (const v of a) sq += (v - mean) * (v - mean);
  const std = Math.sqrt(sq / Math.max(1, a.length)) + 1e-8;
  return { ...batch, advantages: a.map((v) => (v - mean) / std) };
}
