/**
 * The base of PPO and DQN (RLlib's Algorithm): env runners and learners made from a config,
 * `train()` one iteration at a time, greedy evaluation, single actions from the current
 * weights, checkpoints. It implements Tune's class trainable (`setup(config)`, `step()`,
 * `saveCheckpoint(dir)`, `loadCheckpoint(dir)`, `resetConfig(config)`, `cleanup()`) without
 * extending it, so `new tune.Tuner(rl.PPO, { paramSpace })` tunes it over config dicts; only the
 * type is imported, so @lux/rl does not load @lux/tune.
 */
import { randomInt } from "node:crypto";
import * as path from "node:path";
import { RlCheckpointError } from "lux";
import type { Trainable } from "@lux/tune";
import type { AlgorithmConfig, AlgorithmConfigDict, CommonTraining } from "../config/algorithm-config.js";
import { envSource } from "../env-registry.js";
import { LearnerGroup } from "../learner/learner-group.js";
import type { LearnerState } from "../learner/tf-learner.js";
import { encodeObs, initModule, type ModuleSpec } from "../model/module-spec.js";
import { envAction, ppoAct, qAct } from "../model/policy.js";
import { copyWeights, type Weights } from "../model/weights.js";
import { Rng, deriveSeed } from "../rng.js";
import { EnvRunnerGroup } from "../runner/env-runner-group.js";
import type { RunnerSample } from "../runner/sample-batch.js";
import type { Space } from "../spaces.js";
import { EpisodeWindow } from "./episode-window.js";
import { FORMAT, readCheckpoint, writeCheckpoint, type CheckpointContent } from "./checkpoint-files.js";
import { evaluationOf, type EvaluationResult, type TrainResult } from "./results.js";

type AnyConfig = AlgorithmConfig<CommonTraining, unknown>;
const configMakers = new Map<string, () => AnyConfig>();

export abstract class Algorithm<T extends CommonTraining = CommonTraining, L extends object = object> implements Trainable<Partial<AlgorithmConfigDict<T>>> {
  /** The config this algorithm was built from, as plain data. */
  config!: AlgorithmConfigDict<T>;
  envRunnerGroup!: EnvRunnerGroup;
  learnerGroup!: LearnerGroup;
  /** Env steps sampled since the algorithm was built (across checkpoints). */
  numEnvStepsSampledLifetime = 0;
  protected iteration = 0;
  protected timeTotalMs = 0;
  protected module!: ModuleSpec;
  protected seed = 0;
  protected rng!: Rng;
  protected readonly episodes = new EpisodeWindow(100);
  private weights: Weights = {};
  private version = 0;
  private ready: Promise<void> | undefined;
  /** The fewest healthy env runners seen in the current iteration. */
  private numHealthy = 0;

  /** With a config (an `AlgorithmConfig` or its `toDict()`), sets the algorithm up at once. */
  constructor(config?: AnyConfig | Partial<AlgorithmConfigDict<T>>) {
    if (config !== undefined) this.setup(config);
  }

  /** Makes `maker` the config of algorithm `name` for `fromCheckpoint` and dict configs. */
  static registerAlgorithm(name: string, maker: () => AnyConfig): void {
    configMakers.set(name, maker);
  }

  /** Builds the algorithm a checkpoint (`save(dir)`) holds: config, weights, optimizer state and counters. */
  static async fromCheckpoint(dir: string): Promise<Algorithm> {
    const content = await readCheckpoint(dir);
    const maker = configMakers.get(content.algorithm);
    if (maker === undefined) throw new RlCheckpointError({ path: dir, problem: `its algorithm ${JSON.stringify(content.algorithm)} is not one of ${[...configMakers.keys()].join(", ")}` });
    const algo = maker()
      .updateFromDict(content["config"] as Partial<AlgorithmConfigDict>)
      .build() as Algorithm;
    await algo.restore(content, dir);
    return algo;
  }

  /** Iterations trained so far. */
  get trainingIteration(): number {
    return this.iteration;
  }

  /**
   * Checks `config` and makes the env runners and learners (Tune's `setup`). Actors start in
   * the background; `train()` waits for them.
   */
  setup(config: AnyConfig | Partial<AlgorithmConfigDict<T>>): void {
    const cfg = typeof (config as AnyConfig).toDict === "function" ? (config as AnyConfig).copy() : this.defaultConfig().updateFromDict(config as Partial<AlgorithmConfigDict>);
    if (cfg.algorithm !== this.defaultConfig().algorithm) throw new TypeError(`${this.defaultConfig().algorithm}.setup: given a ${cfg.algorithm} config`);
    const { observationSpace, actionSpace } = cfg.validated();
    const dict = cfg.toDict() as AlgorithmConfigDict<T>;
    this.config = dict;
    this.seed = dict.seed ?? randomInt(2 ** 31);
    this.rng = new Rng(deriveSeed(this.seed, 7));
    this.module = this.moduleSpec(observationSpace, actionSpace, dict);
    this.weights = initModule(this.module, new Rng(deriveSeed(this.seed, 3)));
    this.envRunnerGroup = new EnvRunnerGroup({
      numEnvRunners: dict.numEnvRunners,
      numCpusPerEnvRunner: dict.numCpusPerEnvRunner,
      restartFailedEnvRunners: dict.restartFailedEnvRunners,
      settings: { env: envSource(dict.env as string), envConfig: dict.envConfig, numEnvs: dict.numEnvsPerEnvRunner, seed: this.seed, module: this.module, gamma: dict.gamma, restartFailedSubEnvironments: dict.restartFailedSubEnvironments, ...this.runnerExtras() },
    });
    this.learnerGroup = new LearnerGroup({
      numLearners: dict.numLearners,
      numCpusPerLearner: dict.numCpusPerLearner,
      settings: { module: this.module, weights: this.weights, lr: dict.lr, gradClip: dict.gradClip, tfjsBackend: dict.tfjsBackend, seed: this.seed, target: this.module.algorithm === "DQN" },
    });
    this.ready = this.start();
    // A failure to start shows at the first train(); it must not be an unhandled rejection before.
    this.ready.catch(() => undefined);
  }

  /** One training iteration: sample, learn, send the weights out; its metrics (Tune's `step`). */
  async step(): Promise<TrainResult<L>> {
    await this.ready;
    const started = performance.now();
    this.numHealthy = this.envRunnerGroup.numHealthyEnvRunners();
    const learners = await this.trainingStep();
    const envRunners = { ...this.episodes.summary(), numEpisodes: this.iterEpisodes, numHealthyEnvRunners: this.numHealthy, numEnvStepsSampled: this.iterSteps };
    this.iterEpisodes = 0;
    this.iterSteps = 0;
    this.iteration++;
    const interval = this.config.evaluationInterval;
    const evaluation = interval > 0 && this.iteration % interval === 0 ? await this.evaluate() : undefined;
    const timeThisIterMs = performance.now() - started;
    this.timeTotalMs += timeThisIterMs;
    return {
      trainingIteration: this.iteration,
      envRunners,
      learners,
      numEnvStepsSampledLifetime: this.numEnvStepsSampledLifetime,
      timeThisIterMs,
      timeTotalMs: this.timeTotalMs,
      ...(evaluation !== undefined ? { evaluation } : {}),
    };
  }

  /** One training iteration (RLlib's `train()`). */
  async train(): Promise<TrainResult<L>> {
    return this.step();
  }

  /** `evaluationNumEpisodes` greedy episodes on the env runners' evaluation envs. */
  async evaluate(): Promise<EvaluationResult> {
    await this.ready;
    return evaluationOf(await this.envRunnerGroup.evaluate(this.config.evaluationNumEpisodes));
  }

  /** The action the current weights choose for `obs`: sampled (`explore`, the default) or the greedy one. */
  computeSingleAction(obs: unknown, options: { explore?: boolean } = {}): number | Float32Array {
    const explore = options.explore ?? true;
    const x = encodeObs(this.module.obs, [obs]);
    const actions =
      this.module.algorithm === "PPO"
        ? ppoAct(this.module, this.weights, x, 1, explore, this.rng).actions
        : qAct(this.module, this.weights, x, 1, explore ? this.explorationEpsilon() : 0, this.rng);
    return envAction(this.module, actions, 0);
  }

  /** The current weights (a copy): the learners' after the last update, which every env runner acts with. */
  getWeights(): Weights {
    return copyWeights(this.weights);
  }

  /** Writes a checkpoint into `dir` (made if missing); resolves to its absolute path. */
  async save(dir: string): Promise<string> {
    await this.saveCheckpoint(dir);
    return path.resolve(dir);
  }

  /** Tune's `saveCheckpoint`: config, weights, optimizer state and counters into `dir`. */
  async saveCheckpoint(dir: string): Promise<void> {
    await this.ready;
    const learner = await this.learnerGroup.getState();
    await writeCheckpoint(dir, {
      format: FORMAT,
      algorithm: this.module.algorithm,
      config: this.config,
      counters: { iteration: this.iteration, numEnvStepsSampledLifetime: this.numEnvStepsSampledLifetime, timeTotalMs: this.timeTotalMs, seed: this.seed },
      learner,
      extra: this.extraState(),
    });
  }

  /** Tune's `loadCheckpoint`: the weights, optimizer state and counters of a checkpoint of this algorithm. */
  async loadCheckpoint(dir: string): Promise<void> {
    await this.restore(await readCheckpoint(dir), dir);
  }

  /** Tune's `resetConfig`: an algorithm is not changed in place, so Tune makes a new one. */
  resetConfig(_config: unknown): boolean {
    return false;
  }

  /** Ends the env-runner and learner actors. */
  async stop(): Promise<void> {
    await Promise.allSettled([this.ready]);
    await this.envRunnerGroup?.stop();
    await this.learnerGroup?.stop();
  }

  /** Tune's `cleanup`: `stop()`. */
  async cleanup(): Promise<void> {
    await this.stop();
  }

  /** Episodes and env steps of the current iteration (sampleRound adds to them). */
  private iterEpisodes = 0;
  private iterSteps = 0;

  /** One fragment from every healthy runner; episodes and step counts recorded. */
  protected async sampleRound(request: { steps: number; epsilon?: number }): Promise<RunnerSample[]> {
    const samples = await this.envRunnerGroup.sample(request);
    this.numHealthy = Math.min(this.numHealthy, this.envRunnerGroup.numHealthyEnvRunners());
    for (const s of samples) {
      this.episodes.add(s.episodes.returns, s.episodes.lengths);
      this.iterEpisodes += s.episodes.returns.length;
      this.iterSteps += s.envSteps;
      this.numEnvStepsSampledLifetime += s.envSteps;
    }
    return samples;
  }

  /** New weights from the learners: put once in the object store, every runner given the ref. */
  protected async publish(weights: Weights): Promise<void> {
    this.weights = weights;
    this.version++;
    await this.envRunnerGroup.syncWeights(weights, this.version);
  }

  /** Steps per env of one sampling round. */
  protected fragmentLength(auto: number): number {
    const f = this.config.rolloutFragmentLength;
    return f === "auto" ? Math.max(1, auto) : f;
  }

  protected abstract defaultConfig(): AnyConfig;
  protected abstract moduleSpec(observationSpace: Space, actionSpace: Space, config: AlgorithmConfigDict<T>): ModuleSpec;
  protected abstract runnerExtras(): { lambda: number; nStep: number };
  /** Samples and learns (calling `publish` with new weights); the learners' metrics. */
  protected abstract trainingStep(): Promise<L>;

  /** The exploration rate `computeSingleAction` explores with (DQN). */
  protected explorationEpsilon(): number {
    return 0;
  }

  /** What else a checkpoint keeps of this algorithm. */
  protected extraState(): Record<string, unknown> {
    return {};
  }

  protected loadExtraState(_state: Record<string, unknown>): void {}

  private async start(): Promise<void> {
    await this.learnerGroup.start();
    await this.envRunnerGroup.syncWeights(this.weights, this.version);
  }

  private async restore(content: CheckpointContent, dir: string): Promise<void> {
    if (content.algorithm !== this.module.algorithm) throw new RlCheckpointError({ path: dir, problem: `it holds a ${content.algorithm} algorithm, this is ${this.module.algorithm}` });
    await this.ready;
    const learner = content["learner"] as LearnerState;
    const counters = content["counters"] as { iteration: number; numEnvStepsSampledLifetime: number; timeTotalMs: number };
    await this.learnerGroup.setState(learner);
    this.iteration = counters.iteration;
    this.numEnvStepsSampledLifetime = counters.numEnvStepsSampledLifetime;
    this.timeTotalMs = counters.timeTotalMs;
    this.loadExtraState((content["extra"] ?? {}) as Record<string, unknown>);
    await this.publish(learner.weights);
  }
}
