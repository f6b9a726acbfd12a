/**
 * Collects DQN's n-step transitions: each env keeps its last n steps (across fragments) and
 * emits the oldest once it has n, with the discounted sum of their rewards and gamma^n; an
 * episode's end flushes them all, bootstrapping a truncated episode from its last
 * observation and a terminated one from nothing. A failed sub-env's pending steps are dropped.
 */
import { inputSize, type ModuleSpec } from "../model/module-spec.js";
import { qAct } from "../model/policy.js";
import type { Weights } from "../model/weights.js";
import type { RandomSource } from "../rng.js";
import type { DqnBatch } from "./sample-batch.js";

interface Pending {
  x: Float32Array;
  action: number;
  reward: number;
}

export class DqnCollector {
  private readonly inputs: number;
  private readonly pending: Pending[][];
  private lastX: Float32Array = new Float32Array(0);
  private lastActions: Float32Array = new Float32Array(0);
  private obs: number[] = [];
  private nextObs: number[] = [];
  private actions: number[] = [];
  private rewards: number[] = [];
  private terminateds: number[] = [];
  private discounts: number[] = [];

  constructor(
    private readonly spec: ModuleSpec,
    private readonly numEnvs: number,
    private readonly gamma: number,
    private readonly nStep: number,
  ) {
    this.inputs = inputSize(spec.obs);
    this.pending = Array.from({ length: numEnvs }, () => []);
  }

  act(w: Weights, x: Float32Array, epsilon: number, rng: RandomSource): Float32Array {
    this.lastX = x;
    this.lastActions = qAct(this.spec, w, x, this.numEnvs, epsilon, rng);
    return this.lastActions;
  }

  /** Env `e`'s step: `nextX` is the encoded observation it led to (the final one when the episode ended). */
  record(e: number, reward: number, terminated: boolean, truncated: boolean, nextX: Float32Array): void {
    const queue = this.pending[e] as Pending[];
    queue.push({ x: this.lastX.slice(e * this.inputs, (e + 1) * this.inputs), action: this.lastActions[e] as number, reward });
    if (terminated || truncated) {
      while (queue.length > 0) this.emit(queue, nextX, terminated);
    } else if (queue.length === this.nStep) this.emit(queue, nextX, false);
  }

  dropped(e: number): void {
    (this.pending[e] as Pending[]).length = 0;
  }

  /** The transitions emitted since the last call. */
  take(): DqnBatch {
    const batch: DqnBatch = {
      kind: "dqn",
      count: this.actions.length,
      obs: Float32Array.from(this.obs),
      actions: Float32Array.from(this.actions),
      rewards: Float32Array.from(this.rewards),
      nextObs: Float32Array.from(this.nextObs),
      terminateds: Float32Array.from(this.terminateds),
      discounts: Float32Array.from(this.discounts),
    };
    this.obs = [];
    this.nextObs = [];
    this.actions = [];
    this.rewards = [];
    this.terminateds = [];
    this.discounts = [];
    return batch;
  }

  private emit(queue: Pending[], nextX: Float32Array, terminated: boolean): void {
    const first = queue.shift() as Pending;
    let ret = first.reward;
    let discount = this.gamma;
    for (const p of queue) {
      ret += discount * p.reward;
      discount *= this.gamma;
    }
    for (const v of first.x) this.obs.push(v);
    for (const v of nextX) this.nextObs.push(v);
    this.actions.push(first.action);
    this.rewards.push(ret);
    this.terminateds.push(terminated ? 1 : 0);
    this.discounts.push(discount);
  }
}
