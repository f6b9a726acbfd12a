/**
 * A learner: the module's weights as tfjs variables for the forward and backward pass, with a
 * flat float32 copy that the optimizer (Adam in plain TypeScript) steps. With several
 * learners each computes gradients on its shard, `lux.util.collective.allreduce` sums them
 * and every rank applies the same mean, so their weights stay bitwise equal.
 */
import * as lux from "lux";
import type * as tfTypes from "@tensorflow/tfjs";
import type { ModuleSpec } from "../model/module-spec.js";
import { copyWeights, flattenWeights, unflattenWeights, type Weights } from "../model/weights.js";
import { Rng, deriveSeed } from "../rng.js";
import { Adam, clipGlobalNorm, type AdamState } from "./adam.js";
import { loadTf, type Tf, type TfjsBackend } from "./tf-backend.js";
import { weightShape, type Vars } from "./tf-net.js";

export interface LearnerSettings {
  readonly module: ModuleSpec;
  readonly weights: Weights;
  readonly lr: number;
  readonly gradClip: number | undefined;
  readonly tfjsBackend: TfjsBackend;
  readonly seed: number;
  readonly rank: number;
  readonly worldSize: number;
  /** The learners' collective group (when worldSize > 1). */
  readonly groupName: string | undefined;
  /** DQN: keep a target network. */
  readonly target: boolean;
}

/** What a checkpoint keeps of a learner. */
export interface LearnerState {
  weights: Weights;
  targetWeights: Weights | undefined;
  optimizer: AdamState;
  updates: number;
}

export class TfLearner {
  readonly rng: Rng;
  private params: Float32Array;
  private readonly template: Weights;
  readonly vars: Map<string, tfTypes.Variable>;
  readonly targetVars: Map<string, tfTypes.Variable> | undefined;
  private targetParams: Float32Array | undefined;
  private readonly adam: Adam;
  /** Gradient steps applied. */
  updates = 0;

  private constructor(
    readonly tf: Tf,
    readonly settings: LearnerSettings,
  ) {
    this.template = copyWeights(settings.weights);
    this.params = flattenWeights(this.template);
    this.vars = this.makeVars(true);
    this.targetVars = settings.target ? this.makeVars(false) : undefined;
    this.targetParams = settings.target ? Float32Array.from(this.params) : undefined;
    this.adam = new Adam(this.params.length);
    this.rng = new Rng(deriveSeed(settings.seed, 1000 + settings.rank));
  }

  static async create(settings: LearnerSettings): Promise<TfLearner> {
    return new TfLearner(await loadTf(settings.tfjsBackend), settings);
  }

  get spec(): ModuleSpec {
    return this.settings.module;
  }

  /** The backend tfjs computes on here ("wasm" or "cpu"). */
  backend(): string {
    return this.tf.getBackend();
  }

  getWeights(): Weights {
    return unflattenWeights(this.params, this.template);
  }

  setWeights(w: Weights): void {
    this.params = flattenWeights(w);
    this.assign(this.vars, this.params);
  }

  /** Copies the weights into the target network (DQN). */
  updateTarget(): void {
    if (this.targetVars === undefined) return;
    this.targetParams = Float32Array.from(this.params);
    this.assign(this.targetVars, this.targetParams);
  }

  getState(): LearnerState {
    const o = this.adam.state;
    return {
      weights: this.getWeights(),
      targetWeights: this.targetParams !== undefined ? unflattenWeights(this.targetParams, this.template) : undefined,
      optimizer: { t: o.t, m: Float32Array.from(o.m), v: Float32Array.from(o.v) },
      updates: this.updates,
    };
  }

  setState(s: LearnerState): void {
    this.setWeights(s.weights);
    if (this.targetVars !== undefined) {
      this.targetParams = flattenWeights(s.targetWeights ?? s.weights);
      this.assign(this.targetVars, this.targetParams);
    }
    this.adam.state = { t: s.optimizer.t, m: Float32Array.from(s.optimizer.m), v: Float32Array.from(s.optimizer.v) };
    this.updates = s.updates;
  }

  /**
   * The gradient of `loss` with respect to every weight, flat, in the weights' order. `loss`
   * runs inside tfjs's tape; tensors it `tf.keep`s survive it.
   */
  gradients(loss: () => tfTypes.Scalar): Float32Array {
    const vars = [...this.vars.values()];
    const { value, grads } = this.tf.variableGrads(loss, vars);
    const flat = new Float32Array(this.params.length);
    let at = 0;
    for (const v of vars) {
      const g = grads[v.name];
      const size = v.size;
      if (g !== undefined) flat.set(g.dataSync() as Float32Array, at);
      at += size;
    }
    value.dispose();
    this.tf.dispose(Object.values(grads));
    return flat;
  }

  /** Averages `grads` over the learners, clips them, takes an Adam step. */
  async apply(grads: Float32Array): Promise<void> {
    const { worldSize, groupName, gradClip, lr } = this.settings;
    if (worldSize > 1) {
      await lux.util.collective.allreduce(grads, { op: "SUM", ...(groupName !== undefined ? { groupName } : {}) });
      for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) / worldSize;
    }
    clipGlobalNorm(grads, gradClip);
    this.adam.step(this.params, grads, lr);
    this.assign(this.vars, this.params);
    this.updates++;
  }

  private makeVars(trainable: boolean): Map<string, tfTypes.Variable> {
    const vars = new Map<string, tfTypes.Variable>();
    for (const [name, w] of Object.entries(this.template)) {
      const initial = this.tf.tensor(Float32Array.from(w), weightShape(this.settings.module.nets, name, w.length));
      vars.set(name, this.tf.variable(initial, trainable));
      initial.dispose();
    }
    return vars;
  }

  private assign(vars: Vars, flat: Float32Array): void {
    let at = 0;
    for (const v of vars.values()) {
      const size = v.size;
      // A copy: the cpu backend keeps the array it is given, and `flat` changes at each step.
      this.tf.tidy(() => v.assign(this.tf.tensor(flat.slice(at, at + size), v.shape)));
      at += size;
    }
  }
}
