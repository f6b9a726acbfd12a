/**
 * The builder every algorithm's config shares (RLlib's AlgorithmConfig): chained setters per
 * topic (`environment`, `envRunners`, `learners`, `training`, `rlModule`, `evaluation`,
 * `debugging`, `faultTolerance`), each refusing unknown keys, and `build()`, which checks the
 * whole config (naming the field) and makes the algorithm. `toDict()`/`fromDict()` give it
 * as plain data (checkpoints, Tune's param spaces).
 */
import { isKnownEnv, makeEnv, registeredEnvIds } from "../env-registry.js";
import { UnknownEnvError } from "lux";
import type { Activation } from "../model/mlp.js";
import type { TfjsBackend } from "../learner/tf-backend.js";
import type { Space } from "../spaces.js";
import { ConfigChecker } from "./checks.js";

/** The settings every algorithm has, besides its training settings. */
export interface CommonSettings {
  env: string | undefined;
  envConfig: object;
  numEnvRunners: number;
  numEnvsPerEnvRunner: number;
  rolloutFragmentLength: number | "auto";
  numCpusPerEnvRunner: number;
  numLearners: number;
  numCpusPerLearner: number;
  tfjsBackend: TfjsBackend;
  fcnetHiddens: number[];
  fcnetActivation: Activation;
  evaluationNumEpisodes: number;
  /** Evaluate every n training iterations (its result in `train()`'s `evaluation`); 0: only when `evaluate()` is called. */
  evaluationInterval: number;
  seed: number | undefined;
  restartFailedEnvRunners: boolean;
  restartFailedSubEnvironments: boolean;
}

/** Training settings every algorithm has. */
export interface CommonTraining {
  lr: number;
  gamma: number;
  trainBatchSizePerLearner: number;
  /** Clip gradients to this global L2 norm; undefined: no clipping. */
  gradClip: number | undefined;
}

/** A whole config as plain data: `toDict()`'s result, what `fromDict` and Tune's trainables take. */
export type AlgorithmConfigDict<T extends CommonTraining = CommonTraining> = CommonSettings & T & { algorithm: string };

export type EnvRunnersOptions = Partial<Pick<CommonSettings, "numEnvRunners" | "numEnvsPerEnvRunner" | "rolloutFragmentLength" | "numCpusPerEnvRunner">>;
export type LearnersOptions = Partial<Pick<CommonSettings, "numLearners" | "numCpusPerLearner" | "tfjsBackend">>;
export type RLModuleOptions = Partial<Pick<CommonSettings, "fcnetHiddens" | "fcnetActivation">>;
export type EvaluationOptions = Partial<Pick<CommonSettings, "evaluationNumEpisodes" | "evaluationInterval">>;
export type FaultToleranceOptions = Partial<Pick<CommonSettings, "restartFailedEnvRunners" | "restartFailedSubEnvironments">>;

const COMMON_DEFAULTS: CommonSettings = {
  env: undefined,
  envConfig: {},
  numEnvRunners: 2,
  numEnvsPerEnvRunner: 1,
  rolloutFragmentLength: "auto",
  numCpusPerEnvRunner: 1,
  numLearners: 0,
  numCpusPerLearner: 1,
  tfjsBackend: "wasm",
  fcnetHiddens: [64, 64],
  fcnetActivation: "tanh",
  evaluationNumEpisodes: 10,
  evaluationInterval: 0,
  seed: undefined,
  restartFailedEnvRunners: true,
  restartFailedSubEnvironments: false,
};

const keysOf = <K extends string>(o: Record<K, unknown>): K[] => Object.keys(o) as K[];

export abstract class AlgorithmConfig<T extends CommonTraining, A> {
  /** Every setting, defaults filled in. */
  protected settings: CommonSettings & T;
  protected readonly check: ConfigChecker;

  protected constructor(
    readonly algorithm: string,
    trainingDefaults: T,
  ) {
    this.settings = { ...structuredClone(COMMON_DEFAULTS), ...structuredClone(trainingDefaults) };
    this.check = new ConfigChecker(algorithm);
  }

  /** The env to learn on: a built-in or registered id, and the config its creator is given. */
  environment(env: string, options: { envConfig?: object } = {}): this {
    this.check.knownKeys("environment", options, ["envConfig"]);
    if (typeof env !== "string") this.check.fail("env", env, "must be an env id (a string)");
    this.settings.env = env;
    this.settings.envConfig = structuredClone(options.envConfig ?? {});
    return this;
  }

  envRunners(options: EnvRunnersOptions): this {
    return this.assign("envRunners", options, ["numEnvRunners", "numEnvsPerEnvRunner", "rolloutFragmentLength", "numCpusPerEnvRunner"]);
  }

  learners(options: LearnersOptions): this {
    return this.assign("learners", options, ["numLearners", "numCpusPerLearner", "tfjsBackend"]);
  }

  training(options: Partial<T>): this {
    return this.assign("training", options, keysOf(this.trainingDefaults()));
  }

  rlModule(options: RLModuleOptions): this {
    return this.assign("rlModule", options, ["fcnetHiddens", "fcnetActivation"]);
  }

  evaluation(options: EvaluationOptions): this {
    return this.assign("evaluation", options, ["evaluationNumEpisodes", "evaluationInterval"]);
  }

  debugging(options: { seed?: number }): this {
    return this.assign("debugging", options, ["seed"]);
  }

  faultTolerance(options: FaultToleranceOptions): this {
    return this.assign("faultTolerance", options, ["restartFailedEnvRunners", "restartFailedSubEnvironments"]);
  }

  /** Every setting as plain data (a copy). */
  toDict(): AlgorithmConfigDict<T> {
    return { ...structuredClone(this.settings), algorithm: this.algorithm };
  }

  /** Sets every setting `dict` has (as `toDict()` gives them); unknown keys are refused. */
  updateFromDict(dict: Partial<AlgorithmConfigDict<T>>): this {
    const known = [...keysOf(COMMON_DEFAULTS), ...keysOf(this.trainingDefaults()), "algorithm"];
    this.check.knownKeys("fromDict", dict, known);
    if (dict.algorithm !== undefined && dict.algorithm !== this.algorithm) this.check.fail("algorithm", dict.algorithm, `is not ${this.algorithm}`);
    const { algorithm: _, ...rest } = structuredClone(dict);
    Object.assign(this.settings, rest);
    return this;
  }

  /** An independent copy of this config. */
  copy(): this {
    const c = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(c, this, { settings: structuredClone(this.settings) });
    return c;
  }

  /** Checks the whole config (naming the first bad field) and makes the algorithm. */
  abstract build(): A;

  /** @internal Checks every field (throwing `AlgorithmConfigError` naming the first bad one); the env's spaces. */
  abstract validated(): { observationSpace: Space; actionSpace: Space };

  /** The training settings' defaults (their keys are what `training()` accepts). */
  protected abstract trainingDefaults(): T;

  /** Checks the settings common to all algorithms; returns the env's spaces. */
  protected validateCommon(): { observationSpace: Space; actionSpace: Space } {
    const s = this.settings;
    const c = this.check;
    const env = s.env ?? c.fail("env", s.env, 'must be set: call environment("CartPole-v1") (or a registered id)');
    if (!isKnownEnv(env)) throw new UnknownEnvError({ env, registered: registeredEnvIds() });
    c.int("numEnvRunners", s.numEnvRunners, 0);
    c.int("numEnvsPerEnvRunner", s.numEnvsPerEnvRunner, 1);
    if (s.rolloutFragmentLength !== "auto") c.int("rolloutFragmentLength", s.rolloutFragmentLength, 1);
    c.nonNegative("numCpusPerEnvRunner", s.numCpusPerEnvRunner);
    c.int("numLearners", s.numLearners, 0);
    c.nonNegative("numCpusPerLearner", s.numCpusPerLearner);
    c.oneOf("tfjsBackend", s.tfjsBackend, ["wasm", "cpu"]);
    if (!Array.isArray(s.fcnetHiddens) || s.fcnetHiddens.some((h) => !Number.isInteger(h) || h <= 0)) c.fail("fcnetHiddens", s.fcnetHiddens, "must be a list of positive integers");
    c.oneOf("fcnetActivation", s.fcnetActivation, ["tanh", "relu", "linear"]);
    c.int("evaluationNumEpisodes", s.evaluationNumEpisodes, 1);
    c.int("evaluationInterval", s.evaluationInterval, 0);
    if (s.seed !== undefined && !Number.isFinite(s.seed)) c.fail("seed", s.seed, "must be a finite number");
    for (const f of ["restartFailedEnvRunners", "restartFailedSubEnvironments"] as const) if (typeof s[f] !== "boolean") c.fail(f, s[f], "must be true or false");
    c.positive("lr", s.lr);
    c.within("gamma", s.gamma, 0, 1);
    c.int("trainBatchSizePerLearner", s.trainBatchSizePerLearner, 1);
    if (s.gradClip !== undefined) c.positive("gradClip", s.gradClip);
    return this.spaces(env);
  }

  private spaces(env: string): { observationSpace: Space; actionSpace: Space } {
    const probe = makeEnv(env, this.settings.envConfig);
    const spaces = { observationSpace: probe.observationSpace, actionSpace: probe.actionSpace };
    void Promise.resolve(probe.close?.()).catch(() => undefined);
    return spaces;
  }

  private assign(method: string, options: object, known: readonly string[]): this {
    this.check.knownKeys(method, options, known);
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (this.settings as unknown as Record<string, unknown>)[k] = structuredClone(v);
    return this;
  }
}
