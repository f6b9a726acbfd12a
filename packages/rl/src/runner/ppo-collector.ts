/**
 * Collects one PPO fragment (T steps of E envs in lockstep) and turns it into a batch with
 * GAE advantages and value targets. A truncated episode is bootstrapped with the value of
 * its last observation; a terminated one with 0. A step whose env failed is dropped, and the
 * step before it is cut there (bootstrapped with the value of the observation it led to).
 */
import { forwardNet } from "../model/mlp.js";
import { actionSize, inputSize, netOf, type ModuleSpec } from "../model/module-spec.js";
import { ppoAct } from "../model/policy.js";
import type { Weights } from "../model/weights.js";
import type { RandomSource } from "../rng.js";
import type { PpoBatch } from "./sample-batch.js";

const TERMINATED = 1;
const CUT = 2;
const DROPPED = 4;

export class PpoCollector {
  private readonly inputs: number;
  private readonly actDim: number;
  private readonly obs: Float32Array;
  private readonly actions: Float32Array;
  private readonly logp: Float32Array;
  private readonly vf: Float32Array;
  private readonly rewards: Float32Array;
  private readonly flags: Uint8Array;
  /** For a cut step: the value it is bootstrapped with. */
  private readonly nextValue: Float32Array;

  constructor(
    private readonly spec: ModuleSpec,
    private readonly numEnvs: number,
    private readonly steps: number,
    private readonly gamma: number,
    private readonly lambda: number,
  ) {
    const n = numEnvs * steps;
    this.inputs = inputSize(spec.obs);
    this.actDim = spec.action.kind === "Box" ? actionSize(spec.action) : 1;
    this.obs = new Float32Array(n * this.inputs);
    this.actions = new Float32Array(n * this.actDim);
    this.logp = new Float32Array(n);
    this.vf = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.flags = new Uint8Array(n);
    this.nextValue = new Float32Array(n);
  }

  /** Acts for step `t` on the envs' encoded observations `x`; returns the actions (rows of `actDim`). */
  act(w: Weights, x: Float32Array, t: number, rng: RandomSource): Float32Array {
    const out = ppoAct(this.spec, w, x, this.numEnvs, true, rng);
    const row = t * this.numEnvs;
    this.obs.set(x, row * this.inputs);
    this.actions.set(out.actions, row * this.actDim);
    this.logp.set(out.logp, row);
    this.vf.set(out.vf, row);
    return out.actions;
  }

  /** The result of env `e`'s step `t`. `finalX`: the encoded last observation of a truncated episode. */
  record(w: Weights, e: number, t: number, reward: number, terminated: boolean, finalX: Float32Array | undefined): void {
    const i = t * this.numEnvs + e;
    this.rewards[i] = reward;
    if (terminated) this.flags[i] = TERMINATED;
    else if (finalX !== undefined) {
      this.flags[i] = CUT;
      this.nextValue[i] = forwardNet(netOf(this.spec, "vf"), w, finalX, 1)[0] as number;
    }
  }

  /** Env `e` failed at step `t`: that step is dropped, the one before ends where it led. */
  dropped(e: number, t: number): void {
    const i = t * this.numEnvs + e;
    this.flags[i] = DROPPED;
    if (t > 0) {
      const prev = i - this.numEnvs;
      if (this.flags[prev] === 0) {
        this.flags[prev] = CUT;
        this.nextValue[prev] = this.vf[i] as number;
      }
    }
  }

  /** The batch, given the encoded observations the envs are at after the last step. */
  finish(w: Weights, lastX: Float32Array): PpoBatch {
    const lastValues = forwardNet(netOf(this.spec, "vf"), w, lastX, this.numEnvs);
    const advantages = new Float32Array(this.flags.length);
    for (let e = 0; e < this.numEnvs; e++) {
      let gae = 0;
      let next = lastValues[e] as number;
      for (let t = this.steps - 1; t >= 0; t--) {
        const i = t * this.numEnvs + e;
        const f = this.flags[i] as number;
        if (f === DROPPED) {
          gae = 0;
          next = this.vf[i] as number;
          continue;
        }
        const bootstrap = f === TERMINATED ? 0 : f === CUT ? (this.nextValue[i] as number) : next;
        const delta = (this.rewards[i] as number) + this.gamma * bootstrap - (this.vf[i] as number);
        gae = f === 0 ? delta + this.gamma * this.lambda * gae : delta;
        advantages[i] = gae;
        next = this.vf[i] as number;
      }
    }
    return this.rows(advantages);
  }

  private rows(advantages: Float32Array): PpoBatch {
    const keep: number[] = [];
    for (let i = 0; i < this.flags.length; i++) if (this.flags[i] !== DROPPED) keep.push(i);
    const count = keep.length;
    const obs = new Float32Array(count * this.inputs);
    const actions = new Float32Array(count * this.actDim);
    const logp = new Float32Array(count);
    const vfPreds = new Float32Array(count);
    const adv = new Float32Array(count);
    const valueTargets = new Float32Array(count);
    keep.forEach((i, r) => {
      obs.set(this.obs.subarray(i * this.inputs, (i + 1) * this.inputs), r * this.inputs);
      actions.set(this.actions.subarray(i * this.actDim, (i + 1) * this.actDim), r * this.actDim);
      logp[r] = this.logp[i] as number;
      vfPreds[r] = this.vf[i] as number;
      adv[r] = advantages[i] as number;
      valueTargets[r] = (advantages[i] as number) + (this.vf[i] as number);
    });
    return { kind: "ppo", count, obs, actions, logp, vfPreds, advantages: adv, valueTargets };
  }
}
