/**
 * The learners: one in the driver (`numLearners: 0`), one actor, or several data-parallel
 * actors in a collective group that average their gradients with
 * `lux.util.collective.allreduce`. A batch is split into equal shards, one per learner.
 */
import * as lux from "lux";
import { LearnerActor } from "../actors.js";
import type { Weights } from "../model/weights.js";
import { sliceRows, type DqnBatch, type PpoBatch } from "../runner/sample-batch.js";
import type { DqnHyperparams, DqnStep } from "./dqn-update.js";
import { Learner } from "./learner.js";
import type { PpoHyperparams, PpoLearnerMetrics } from "./ppo-update.js";
import type { LearnerSettings, LearnerState } from "./tf-learner.js";

export interface LearnerGroupOptions {
  readonly numLearners: number;
  readonly numCpusPerLearner: number;
  readonly settings: Omit<LearnerSettings, "rank" | "worldSize" | "groupName">;
}

export class LearnerGroup {
  private readonly local: Learner | undefined;
  private readonly actors: Array<lux.ActorHandle<Learner>> = [];
  private readonly groupName: string | undefined;
  private starting: Promise<string[]> | undefined;

  constructor(private readonly o: LearnerGroupOptions) {
    const n = o.numLearners;
    if (n === 0) {
      this.local = new Learner({ ...o.settings, rank: 0, worldSize: 1, groupName: undefined });
      return;
    }
    this.groupName = n > 1 ? `lux-rl-learners-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` : undefined;
    for (let rank = 0; rank < n; rank++) {
      const settings: LearnerSettings = { ...o.settings, rank, worldSize: n, groupName: this.groupName };
      this.actors.push(LearnerActor.options({ numCpus: o.numCpusPerLearner }).remote(settings));
    }
  }

  /** How many learners update (1 for the driver's own). */
  get size(): number {
    return this.local !== undefined ? 1 : this.actors.length;
  }

  /** Starts every learner (tfjs loaded, networks built, the collective group made); their backends. */
  async start(): Promise<string[]> {
    this.starting ??= (async () => {
      if (this.local !== undefined) return [await this.local.start()];
      if (this.groupName !== undefined) await lux.util.collective.createCollectiveGroup(this.actors, { groupName: this.groupName });
      return lux.get(this.actors.map((a) => a.start.remote()));
    })();
    return this.starting;
  }

  /** One PPO update over `batch` (split into equal shards); rank 0's metrics and the new weights. */
  async updatePpo(batch: PpoBatch, hp: PpoHyperparams): Promise<PpoLearnerMetrics & { weights: Weights }> {
    await this.start();
    if (this.local !== undefined) return this.local.updatePpo(batch, hp);
    const shards = this.shards(batch);
    const results = await lux.get(this.actors.map((a, i) => a.updatePpo.remote(shards[i] as PpoBatch, hp)));
    return results[0] as PpoLearnerMetrics & { weights: Weights };
  }

  /** One DQN gradient step over `batch` (split into equal shards); the loss, mean Q and every sample's |TD error|. */
  async dqnStep(batch: DqnBatch, weights: Float32Array, hp: DqnHyperparams): Promise<DqnStep> {
    await this.start();
    if (this.local !== undefined) return this.local.dqnStep(batch, weights, hp);
    const shards = this.shards(batch);
    const per = (shards[0] as DqnBatch).count;
    const results = await lux.get(this.actors.map((a, i) => a.dqnStep.remote(shards[i] as DqnBatch, weights.subarray(i * per, (i + 1) * per), hp)));
    const tdErrors = new Float32Array(batch.count);
    results.forEach((r, i) => tdErrors.set(r.tdErrors, i * per));
    const mean = (k: "qfLoss" | "qfMean"): number => results.reduce((s, r) => s + r[k], 0) / results.length;
    return { qfLoss: mean("qfLoss"), qfMean: mean("qfMean"), tdErrors };
  }

  async updateTarget(): Promise<void> {
    await this.start();
    if (this.local !== undefined) this.local.updateTarget();
    else await lux.get(this.actors.map((a) => a.updateTarget.remote()));
  }

  /** Rank 0's weights (every rank holds the same). */
  async getWeights(): Promise<Weights> {
    await this.start();
    return this.local !== undefined ? this.local.getWeights() : lux.get((this.actors[0] as lux.ActorHandle<Learner>).getWeights.remote());
  }

  async getState(): Promise<LearnerState> {
    await this.start();
    return this.local !== undefined ? this.local.getState() : lux.get((this.actors[0] as lux.ActorHandle<Learner>).getState.remote());
  }

  async setState(state: LearnerState): Promise<void> {
    await this.start();
    if (this.local !== undefined) await this.local.setState(state);
    else await lux.get(this.actors.map((a) => a.setState.remote(state)));
  }

  /**
   * Runs `fn` on every learner (in its actor, shipped like a function given to `lux.ship`: it
   * sees its module's scope, not local variables) and resolves to the results in rank order.
   */
  async foreachLearner<R>(fn: (learner: Learner) => R | Promise<R>): Promise<Array<Awaited<R>>> {
    await this.start();
    if (this.local !== undefined) return [await fn(this.local)];
    const shipped = lux.ship(fn as (learner: Learner) => unknown);
    return (await lux.get(this.actors.map((a) => a.apply.remote(shipped)))) as Array<Awaited<R>>;
  }

  async stop(): Promise<void> {
    if (this.groupName !== undefined) await lux.util.collective.destroyCollectiveGroup(this.groupName).catch(() => undefined);
    await Promise.all(this.actors.map((a) => lux.kill(a).catch(() => undefined)));
  }

  private shards<B extends PpoBatch | DqnBatch>(batch: B): B[] {
    const per = Math.floor(batch.count / this.actors.length);
    return this.actors.map((_, i) => sliceRows(batch, i * per, (i + 1) * per));
  }
}
