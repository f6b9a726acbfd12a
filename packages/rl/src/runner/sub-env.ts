/**
 * One of an env runner's vectorized envs: made from its source, reset with its own seed the
 * first time, checked on its first steps, its episode's return and length counted, and what
 * it throws wrapped in an `EnvError` naming the env and the runner.
 */
import { EnvError, LuxError } from "lux";
import { errorText } from "../describe-value.js";
import { checkReset, checkStep } from "../env-check.js";
import { makeEnvFrom, type EnvSource } from "../env-registry.js";
import type { Env, EnvContext, StepResult } from "../env.js";

/** Steps of each sub-env whose results are checked against its spaces. */
const CHECKED_STEPS = 100;
const CHECKED_RESETS = 3;

export interface SubEnvOptions {
  readonly source: EnvSource;
  readonly envConfig: object;
  readonly context: EnvContext;
  readonly seed: number;
}

export class SubEnv {
  env!: Env;
  obs: unknown;
  episodeReturn = 0;
  episodeLength = 0;
  private checkedSteps = 0;
  private checkedResets = 0;
  private seeded = false;

  constructor(private readonly o: SubEnvOptions) {}

  get id(): string {
    return this.o.source.id;
  }

  /** Makes the env (again, after a failure: the next reset is seeded anew). */
  async make(): Promise<void> {
    if (this.env !== undefined) await this.closeQuietly();
    try {
      this.env = await makeEnvFrom(this.o.source, this.o.envConfig, this.o.context);
    } catch (e) {
      throw this.failure("make", e);
    }
    this.seeded = false;
  }

  /** Starts an episode; the first reset of this sub-env is seeded. */
  async reset(): Promise<void> {
    let r;
    try {
      r = await this.env.reset(this.seeded ? {} : { seed: this.o.seed });
    } catch (e) {
      throw this.failure("reset", e);
    }
    this.seeded = true;
    if (this.checkedResets < CHECKED_RESETS) {
      this.checkedResets++;
      checkReset(this.id, this.env, r);
    }
    this.obs = r.obs;
    this.episodeReturn = 0;
    this.episodeLength = 0;
  }

  async step(action: unknown): Promise<StepResult<unknown>> {
    let r: StepResult<unknown>;
    try {
      const p = this.env.step(action);
      r = p instanceof Promise ? await p : p;
    } catch (e) {
      throw this.failure("step", e);
    }
    if (this.checkedSteps < CHECKED_STEPS) {
      this.checkedSteps++;
      checkStep(this.id, this.env, r);
    }
    this.episodeReturn += r.reward;
    this.episodeLength++;
    return r;
  }

  async close(): Promise<void> {
    await this.env?.close?.();
  }

  private async closeQuietly(): Promise<void> {
    try {
      await this.close();
    } catch {
      // A failed env's close may fail too: it is replaced either way.
    }
  }

  private failure(method: string, e: unknown): LuxError {
    if (e instanceof LuxError) return e;
    return new EnvError({ env: this.id, method, runner: this.o.context.workerIndex, subEnv: this.o.context.vectorIndex, reason: errorText(e), cause: e });
  }
}
