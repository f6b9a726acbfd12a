/**
 * Errors of `@lux/rl` (declared here with the others, so they cross the wire from env-runner
 * and learner actors and come back as their class): each names what was wrong (the env id,
 * the value and the space, the runner, the config field).
 */
import { defineError } from "@lux/protocol";

/** `rl.makeEnv` (or an algorithm's `environment(...)`) was given an id no env is registered under. */
export const UnknownEnvError = defineError(
  "LUX_RL_UNKNOWN_ENV",
  "UnknownEnvError",
  (f: { readonly env: string; readonly registered: readonly string[] }) =>
    `no env is registered as "${f.env}"; the registered envs are ${f.registered.map((e) => `"${e}"`).join(", ")}. ` +
    'Register yours first with rl.registerEnv("Name", (envConfig) => new MyEnv(envConfig)).',
);
export type UnknownEnvError = InstanceType<typeof UnknownEnvError>;

/** A built-in env's `envConfig` has a field of the wrong type or out of range (a goal on a wall, a size of 0). */
export const InvalidEnvConfigError = defineError(
  "LUX_RL_INVALID_ENV_CONFIG",
  "InvalidEnvConfigError",
  (f: { readonly env: string; readonly field: string; readonly problem: string }) => `${f.env}: envConfig.${f.field} ${f.problem}.`,
);
export type InvalidEnvConfigError = InstanceType<typeof InvalidEnvConfigError>;

/**
 * An env broke its contract: an observation outside its observation space, a reward that is
 * not a finite number, a flag that is not a boolean (found on an env's first steps, or by
 * `rl.checkEnv`).
 */
export const EnvCheckError = defineError(
  "LUX_RL_ENV_CHECK",
  "EnvCheckError",
  (f: {
    /** The env's id (or its class name). */
    readonly env: string;
    /** What is wrong, e.g. "reset() returned an observation outside its observationSpace". */
    readonly problem: string;
    /** The value found, as text. */
    readonly value: string;
    /** The space it should be in, as text (for observations and actions). */
    readonly space?: string;
  }) => `env "${f.env}": ${f.problem}: ${f.value}${f.space !== undefined ? ` is not in ${f.space}` : ""}. Fix the env (or its spaces).`,
);
export type EnvCheckError = InstanceType<typeof EnvCheckError>;

/** An env's `reset` or `step` threw, in an env runner. `cause` is what it threw. */
export const EnvError = defineError(
  "LUX_RL_ENV",
  "EnvError",
  (f: {
    readonly env: string;
    /** Which call threw: "reset" or "step". */
    readonly method: string;
    /** The env runner's index (0 is the driver's local runner). */
    readonly runner: number;
    /** The sub-env's index among the runner's vectorized envs. */
    readonly subEnv: number;
    readonly reason: string;
  }) =>
    `env "${f.env}" threw in ${f.method}() (env runner ${f.runner}, sub-env ${f.subEnv}): ${f.reason}. Fix the env, or set ` +
    "faultTolerance({ restartFailedSubEnvironments: true }) to rebuild a failing sub-env and drop its episode.",
);
export type EnvError = InstanceType<typeof EnvError>;

/** An env runner failed (its actor died) and `restartFailedEnvRunners` is false. `cause` is why (an `ActorDiedError`). */
export const EnvRunnerError = defineError(
  "LUX_RL_ENV_RUNNER",
  "EnvRunnerError",
  (f: { readonly runner: number; readonly reason: string }) =>
    `env runner ${f.runner} failed: ${f.reason}. Set faultTolerance({ restartFailedEnvRunners: true }) to replace failed runners and go on.`,
);
export type EnvRunnerError = InstanceType<typeof EnvRunnerError>;

/** An algorithm config refused at `build()`: the field, its value, and what it must be. */
export const AlgorithmConfigError = defineError(
  "LUX_RL_INVALID_CONFIG",
  "AlgorithmConfigError",
  (f: { readonly algorithm: string; readonly field: string; readonly value: string; readonly problem: string }) =>
    `${f.algorithm} config: ${f.field} = ${f.value} ${f.problem}.`,
);
export type AlgorithmConfigError = InstanceType<typeof AlgorithmConfigError>;

/** A folder given to `rl.Algorithm.fromCheckpoint` or `loadCheckpoint` that is not an algorithm checkpoint (or not of this algorithm). */
export const RlCheckpointError = defineError(
  "LUX_RL_CHECKPOINT",
  "RlCheckpointError",
  (f: { readonly path: string; readonly problem: string }) => `${f.path} is not a usable RL checkpoint: ${f.problem}.`,
);
export type RlCheckpointError = InstanceType<typeof RlCheckpointError>;
