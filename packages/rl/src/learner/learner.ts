/**
 * A learner as `foreachLearner` sees it, in the driver (`numLearners: 0`) or in a learner
 * actor: it owns a `TfLearner` (made at `start()`, where tfjs loads) and runs the algorithm's
 * updates on the batches (or shards of them) it is given.
 */
import type { Weights } from "../model/weights.js";
import type { DqnBatch, PpoBatch } from "../runner/sample-batch.js";
import { dqnStep, type DqnHyperparams, type DqnStep } from "./dqn-update.js";
import { ppoUpdate, type PpoHyperparams, type PpoLearnerMetrics } from "./ppo-update.js";
import { TfLearner, type LearnerSettings, type LearnerState } from "./tf-learner.js";
import * as lux from "lux";

export class Learner {
  private core: TfLearner | undefined;
  private starting: Promise<TfLearner> | undefined;

  constructor(readonly settings: LearnerSettings) {}

  /** This learner's rank among the learners (0 … numLearners-1; 0 in the driver). */
  get rank(): number {
    return this.settings.rank;
  }

  /** Loads tfjs and builds the networks; resolves to the backend in use ("wasm" or "cpu"). */
  async start(): Promise<string> {
    this.starting ??= TfLearner.create(this.settings).then((c) => (this.core = c));
    return (await this.starting).backend();
  }

  /** The module's weights as this learner holds them. */
  getWeights(): Weights {
    return this.started().getWeights();
  }

  /** Gradient steps this learner has applied. */
  numUpdates(): number {
    return this.started().updates;
  }

  backend(): string {
    return this.started().backend();
  }

  pid(): number {
    return process.pid;
  }

  async updatePpo(batch: PpoBatch, hp: PpoHyperparams): Promise<PpoLearnerMetrics & { weights: Weights }> {
    await this.start();
    const metrics = await ppoUpdate(this.started(), batch, hp);
    return { ...metrics, weights: this.getWeights() };
  }

  async dqnStep(batch: DqnBatch, weights: Float32Array, hp: DqnHyperparams): Promise<DqnStep> {
    await this.start();
    return dqnStep(this.started(), batch, weights, hp);
  }

  updateTarget(): void {
    this.started().updateTarget();
  }

  getState(): LearnerState {
    return this.started().getState();
  }

  async setState(state: LearnerState): Promise<void> {
    await this.start();
    this.started().setState(state);
  }

  /** Runs `fn` (shipped with lux.ship) on this learner: foreachLearner's remote side. */
  async apply(fn: lux.Shipped<(learner: Learner) => unknown>): Promise<unknown> {
    await this.start();
    return (await lux.loadShipped(fn))(this);
  }

  private started(): TfLearner {
    if (this.core === undefined) throw new TypeError("the learner is not started: call start() first");
    return this.core;
  }
}
