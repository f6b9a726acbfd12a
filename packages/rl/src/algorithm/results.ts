/** What `train()` and `evaluate()` resolve to. */
import type { Episodes } from "../runner/sample-batch.js";
import { mean } from "./episode-window.js";

export interface EnvRunnerMetrics {
  /** Mean return of the last 100 episodes finished (NaN before the first). */
  episodeReturnMean: number;
  episodeLenMean: number;
  episodeReturnMax: number;
  episodeReturnMin: number;
  /** Episodes finished in this iteration. */
  numEpisodes: number;
  /** Env runners that sampled without failing in this iteration. */
  numHealthyEnvRunners: number;
  /** Env steps sampled in this iteration. */
  numEnvStepsSampled: number;
}

export interface EvaluationResult {
  episodeReturnMean: number;
  episodeLenMean: number;
  numEpisodes: number;
}

export interface TrainResult<L extends object = object> {
  trainingIteration: number;
  envRunners: EnvRunnerMetrics;
  /** The learners' metrics: PPO's `policyLoss`, `vfLoss`, `entropy`, `meanKl`; DQN's `qfLoss`, `qfMean`, `tdErrorMean`. */
  learners: L;
  numEnvStepsSampledLifetime: number;
  timeThisIterMs: number;
  timeTotalMs: number;
  /** With `evaluation({ evaluationInterval })`, on the iterations it falls on. */
  evaluation?: EvaluationResult;
}

export function evaluationOf(e: Episodes): EvaluationResult {
  return { episodeReturnMean: mean(e.returns), episodeLenMean: mean(e.lengths), numEpisodes: e.returns.length };
}
