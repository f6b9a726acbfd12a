/**
 * An algorithm's RL module as data: what its networks take and give, built from the env's
 * spaces and the `rlModule` config. PPO has a policy net ("pi", with "pi.logStd" for a Box
 * action space) and a value net ("vf"); DQN has a Q net ("q").
 */
import type { Space } from "../spaces.js";
import { initNet, type Activation, type NetSpec } from "./mlp.js";
import type { Weights } from "./weights.js";
import type { Rng } from "../rng.js";

export type ObsSpec = { readonly kind: "Box"; readonly size: number } | { readonly kind: "Discrete"; readonly n: number };
export type ActionSpec =
  | { readonly kind: "Discrete"; readonly n: number }
  | { readonly kind: "Box"; readonly size: number; readonly low: readonly number[]; readonly high: readonly number[] };

export interface ModuleSpec {
  readonly algorithm: "PPO" | "DQN";
  readonly obs: ObsSpec;
  readonly action: ActionSpec;
  readonly nets: readonly NetSpec[];
}

/** The `rlModule(...)` settings. */
export interface RLModuleConfig {
  /** Hidden layer sizes. Default [64, 64]. */
  fcnetHiddens: number[];
  /** Default "tanh". */
  fcnetActivation: Activation;
}

export function obsSpec(space: Space): ObsSpec {
  return space.kind === "Box" ? { kind: "Box", size: space.size } : { kind: "Discrete", n: space.n };
}

export function actionSpec(space: Space): ActionSpec {
  return space.kind === "Discrete" ? { kind: "Discrete", n: space.n } : { kind: "Box", size: space.size, low: [...space.low], high: [...space.high] };
}

export const inputSize = (o: ObsSpec): number => (o.kind === "Box" ? o.size : o.n);
export const actionSize = (a: ActionSpec): number => (a.kind === "Box" ? a.size : a.n);

export function ppoModuleSpec(obs: Space, action: Space, m: RLModuleConfig): ModuleSpec {
  const inputs = inputSize(obsSpec(obs));
  const base = { inputs, hiddens: m.fcnetHiddens, activation: m.fcnetActivation };
  return {
    algorithm: "PPO",
    obs: obsSpec(obs),
    action: actionSpec(action),
    nets: [
      { ...base, name: "pi", outputs: actionSize(actionSpec(action)), outputGain: 0.01 },
      { ...base, name: "vf", outputs: 1, outputGain: 1 },
    ],
  };
}

export function dqnModuleSpec(obs: Space, action: Space, m: RLModuleConfig): ModuleSpec {
  const inputs = inputSize(obsSpec(obs));
  return {
    algorithm: "DQN",
    obs: obsSpec(obs),
    action: actionSpec(action),
    nets: [{ name: "q", inputs, hiddens: m.fcnetHiddens, activation: m.fcnetActivation, outputs: actionSize(actionSpec(action)), outputGain: 1 }],
  };
}

/** Fresh weights for the module, from `rng`. */
export function initModule(spec: ModuleSpec, rng: Rng): Weights {
  const w: Weights = {};
  for (const net of spec.nets) initNet(net, rng, w);
  if (spec.algorithm === "PPO" && spec.action.kind === "Box") w["pi.logStd"] = new Float32Array(spec.action.size);
  return w;
}

export function netOf(spec: ModuleSpec, name: string): NetSpec {
  const net = spec.nets.find((n) => n.name === name);
  if (net === undefined) throw new TypeError(`the ${spec.algorithm} module has no "${name}" network`);
  return net;
}

/** Observations (as envs give them) as the networks' input rows: a Box's values, a Discrete's one-hot. */
export function encodeObs(o: ObsSpec, obs: readonly unknown[]): Float32Array {
  const size = inputSize(o);
  const out = new Float32Array(obs.length * size);
  obs.forEach((v, b) => {
    if (o.kind === "Discrete") out[b * size + (v as number)] = 1;
    else out.set(v as ArrayLike<number>, b * size);
  });
  return out;
}
