/**
 * Acting from weights in plain TypeScript: PPO's categorical or diagonal-Gaussian policy
 * (with the value of each observation) and DQN's epsilon-greedy Q policy.
 */
import type { RandomSource } from "../rng.js";
import { forwardNet } from "./mlp.js";
import { actionSize, netOf, type ModuleSpec } from "./module-spec.js";
import type { Weights } from "./weights.js";

const LOG_2PI = Math.log(2 * Math.PI);

export interface PolicyOutput {
  /** One action per row: an index (Discrete) or `actionSize` values (Box), before clipping to the space. */
  actions: Float32Array;
  /** Log-probability of each action under the policy. */
  logp: Float32Array;
  /** The value net's estimate of each observation. */
  vf: Float32Array;
}

/** PPO: actions (sampled, or the most likely when `explore` is false), their log-probabilities and the values. */
export function ppoAct(spec: ModuleSpec, w: Weights, x: Float32Array, batch: number, explore: boolean, rng: RandomSource): PolicyOutput {
  const out = forwardNet(netOf(spec, "pi"), w, x, batch);
  const vf = forwardNet(netOf(spec, "vf"), w, x, batch);
  const n = actionSize(spec.action);
  if (spec.action.kind === "Discrete") {
    const actions = new Float32Array(batch);
    const logp = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      const logits = out.subarray(b * n, (b + 1) * n);
      const lse = logSumExp(logits);
      const a = explore ? sampleCategorical(logits, lse, rng) : argmax(logits);
      actions[b] = a;
      logp[b] = (logits[a] as number) - lse;
    }
    return { actions, logp, vf };
  }
  const logStd = w["pi.logStd"] as Float32Array;
  const actions = new Float32Array(batch * n);
  const logp = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let lp = 0;
    for (let i = 0; i < n; i++) {
      const z = explore ? normal(rng) : 0;
      actions[b * n + i] = (out[b * n + i] as number) + z * Math.exp(logStd[i] as number);
      lp += -0.5 * z * z - (logStd[i] as number) - 0.5 * LOG_2PI;
    }
    logp[b] = lp;
  }
  return { actions, logp, vf };
}

/** DQN: the greedy action of each row, or with probability `epsilon` a uniform one. */
export function qAct(spec: ModuleSpec, w: Weights, x: Float32Array, batch: number, epsilon: number, rng: RandomSource): Float32Array {
  const q = forwardNet(netOf(spec, "q"), w, x, batch);
  const n = actionSize(spec.action);
  const actions = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    actions[b] = epsilon > 0 && rng.random() < epsilon ? Math.floor(rng.random() * n) : argmax(q.subarray(b * n, (b + 1) * n));
  }
  return actions;
}

/** The value the env is given for row `b` of `actions`: an integer, or a Box vector clipped to its bounds. */
export function envAction(spec: ModuleSpec, actions: Float32Array, b: number): number | Float32Array {
  if (spec.action.kind === "Discrete") return actions[b] as number;
  const { size, low, high } = spec.action;
  const a = actions.slice(b * size, (b + 1) * size);
  for (let i = 0; i < size; i++) a[i] = Math.min(high[i] as number, Math.max(low[i] as number, a[i] as number));
  return a;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

function logSumExp(v: Float32Array): number {
  let m = -Infinity;
  for (const x of v) if (x > m) m = x;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

function sampleCategorical(logits: Float32Array, lse: number, rng: RandomSource): number {
  let u = rng.random();
  for (let i = 0; i < logits.length; i++) {
    u -= Math.exp((logits[i] as number) - lse);
    if (u < 0) return i;
  }
  return logits.length - 1;
}

function normal(rng: RandomSource): number {
  let u = 0;
  while (u === 0) u = rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.random());
}
