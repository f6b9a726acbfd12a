/** The environment API (gymnasium's, in TypeScript): what an env is and what its calls return. */
import type { Space } from "./spaces.js";

/** Extra information an env returns beside an observation (free-form). */
export type EnvInfo = Record<string, unknown>;

/** What `reset` returns: the first observation of an episode. */
export interface ResetResult<O> {
  obs: O;
  info: EnvInfo;
}

/**
 * What `step` returns. `terminated`: the episode reached a terminal state (no value after
 * it); `truncated`: it was cut short (a time limit), so the next state still has a value.
 */
export interface StepResult<O> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvInfo;
}

/** Options of `reset`: a seed makes the episode (and those after it, unseeded) reproducible. */
export interface ResetOptions {
  seed?: number;
  options?: object;
}

/**
 * An environment. `O` is its observation type (a `Float32Array` or number array for a Box,
 * a number for a Discrete space), `A` its action type (a number for Discrete, a
 * `Float32Array` for Box). `reset` and `step` may be sync or async.
 */
export interface Env<O = unknown, A = unknown> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  reset(o?: ResetOptions): ResetResult<O> | Promise<ResetResult<O>>;
  step(a: A): StepResult<O> | Promise<StepResult<O>>;
  close?(): void | Promise<void>;
}

/** Where an env is made: which env runner (0: the driver's local one) and which of its vectorized sub-envs. */
export interface EnvContext {
  readonly workerIndex: number;
  readonly numWorkers: number;
  readonly vectorIndex: number;
}

/**
 * Makes an env from its `envConfig` (the object given to `environment(id, { envConfig })`)
 * and where it is made. It runs in each env-runner actor: like a function given to
 * `lux.ship`, it sees its module's imports and top-level declarations, not the local
 * variables around it.
 */
export type EnvCreator<C = any> = (envConfig: C, context: EnvContext) => Env<any, any>;
