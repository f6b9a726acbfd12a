/**
 * Checks that an env keeps its contract: observations inside its observation space, finite
 * rewards, boolean flags. Env runners check each sub-env's first steps; `rl.checkEnv` runs
 * the same checks on demand, with sampled actions.
 */
import { EnvCheckError } from "lux";
import { describeValue } from "./describe-value.js";
import type { Env, ResetResult, StepResult } from "./env.js";
import { Rng } from "./rng.js";
import { isSpace } from "./spaces.js";

/** Checks what `reset` returned. */
export function checkReset(envId: string, env: Env, r: ResetResult<unknown>): void {
  if (typeof r !== "object" || r === null || !("obs" in r)) throw new EnvCheckError({ env: envId, problem: "reset() must return { obs, info }, it returned", value: describeValue(r) });
  if (!env.observationSpace.contains(r.obs)) {
    throw new EnvCheckError({ env: envId, problem: "reset() returned an observation outside its observationSpace", value: describeValue(r.obs), space: env.observationSpace.toString() });
  }
}

/** Checks what `step` returned. */
export function checkStep(envId: string, env: Env, r: StepResult<unknown>): void {
  if (typeof r !== "object" || r === null) throw new EnvCheckError({ env: envId, problem: "step() must return { obs, reward, terminated, truncated, info }, it returned", value: describeValue(r) });
  if (!env.observationSpace.contains(r.obs)) {
    throw new EnvCheckError({ env: envId, problem: "step() returned an observation outside its observationSpace", value: describeValue(r.obs), space: env.observationSpace.toString() });
  }
  if (typeof r.reward !== "number" || !Number.isFinite(r.reward)) {
    throw new EnvCheckError({ env: envId, problem: "step() returned a reward that is not a finite number", value: describeValue(r.reward) });
  }
  for (const flag of ["terminated", "truncated"] as const) {
    if (typeof r[flag] !== "boolean") throw new EnvCheckError({ env: envId, problem: `step() returned a ${flag} flag that is not a boolean`, value: describeValue(r[flag]) });
  }
}

/** Options of `rl.checkEnv`. */
export interface CheckEnvOptions {
  /** Steps to take with sampled actions (resetting at each episode's end). Default 200. */
  steps?: number;
  /** Seeds the resets and the sampled actions. Default 0. */
  seed?: number;
  /** The env's name in error messages. Default its class name. */
  name?: string;
}

/**
 * Runs an env's checks on demand: its spaces are spaces, `reset({ seed })` gives an
 * observation in its space (the same one twice with the same seed is not required), and
 * `steps` sampled actions give observations in the space, finite rewards and boolean flags.
 * Throws `EnvCheckError` naming the env, the value and the space.
 */
export async function checkEnv(env: Env, options: CheckEnvOptions = {}): Promise<void> {
  const name = options.name ?? env.constructor?.name ?? "env";
  for (const field of ["observationSpace", "actionSpace"] as const) {
    if (!isSpace(env[field])) throw new EnvCheckError({ env: name, problem: `${field} must be a Box or a Discrete`, value: describeValue(env[field]) });
  }
  const rng = new Rng(options.seed ?? 0);
  checkReset(name, env, await env.reset({ seed: options.seed ?? 0 }));
  for (let i = 0; i < (options.steps ?? 200); i++) {
    const r = await env.step(env.actionSpace.sample(rng));
    checkStep(name, env, r);
    if (r.terminated || r.truncated) checkReset(name, env, await env.reset());
  }
}
