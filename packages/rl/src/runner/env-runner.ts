/**
 * An env runner: vectorized envs stepped in lockstep with a copy of the policy, collecting
 * fragments for the learner and running greedy evaluation episodes. The same class runs in
 * the driver (`numEnvRunners: 0`) and as an actor (runner-actor.ts). Weights arrive as an
 * object-store ref with a version; a runner fetches a version once.
 */
import * as lux from "lux";
import type { EnvSource } from "../env-registry.js";
import { encodeObs, type ModuleSpec } from "../model/module-spec.js";
import { envAction, ppoAct, qAct } from "../model/policy.js";
import { copyWeights, type Weights } from "../model/weights.js";
import { Rng, deriveSeed } from "../rng.js";
import { DqnCollector } from "./dqn-collector.js";
import { PpoCollector } from "./ppo-collector.js";
import type { Episodes, RunnerSample, SampleBatch } from "./sample-batch.js";
import { SubEnv } from "./sub-env.js";
import { EnvError } from "lux";

export interface EnvRunnerSettings {
  readonly env: EnvSource;
  readonly envConfig: object;
  readonly numEnvs: number;
  /** 0 for the driver's local runner, 1 … numWorkers for the actors. */
  readonly workerIndex: number;
  readonly numWorkers: number;
  readonly seed: number;
  readonly module: ModuleSpec;
  readonly gamma: number;
  /** PPO's GAE lambda. */
  readonly lambda: number;
  /** DQN's n-step. */
  readonly nStep: number;
  readonly restartFailedSubEnvironments: boolean;
}

/** Weights by version: a ref to them in the object store (or, in the driver, the value). */
export interface WeightsSource {
  readonly version: number;
  readonly ref?: lux.ObjectRef<Weights>;
  readonly value?: Weights;
}

export interface SampleRequest {
  readonly weights: WeightsSource;
  /** Steps per env. */
  readonly steps: number;
  /** DQN's exploration rate for this fragment. */
  readonly epsilon?: number;
}

export class EnvRunner {
  private readonly envs: SubEnv[];
  private evalEnv: SubEnv | undefined;
  private readonly rng: Rng;
  private weights: Weights = {};
  private version = -1;
  private fetches = 0;
  private started = false;
  private dqn: DqnCollector | undefined;
  private pendingEpisodes: Episodes = { returns: [], lengths: [] };

  constructor(readonly settings: EnvRunnerSettings) {
    const s = settings;
    this.rng = new Rng(deriveSeed(s.seed, s.workerIndex, 0));
    this.envs = Array.from({ length: s.numEnvs }, (_, i) => this.subEnv(i, deriveSeed(s.seed, s.workerIndex, 1, i)));
  }

  /** This runner's index: 0 in the driver, 1 … numEnvRunners for actors. */
  get workerIndex(): number {
    return this.settings.workerIndex;
  }

  /** The policy weights this runner acts with (a copy). */
  getWeights(): Weights {
    return copyWeights(this.weights);
  }

  /** How many weight versions this runner has taken (each fetched once from the object store). */
  numWeightFetches(): number {
    return this.fetches;
  }

  /** The process this runner lives in. */
  pid(): number {
    return process.pid;
  }

  async setWeights(source: WeightsSource): Promise<void> {
    if (source.version === this.version) return;
    this.weights = source.value ?? (source.ref !== undefined ? await lux.get(source.ref) : this.weights);
    this.version = source.version;
    this.fetches++;
  }

  /** Makes and resets the envs (once; `sample` does it when needed). */
  async start(): Promise<void> {
    if (this.started) return;
    for (const e of this.envs) {
      await e.make();
      await e.reset();
    }
    this.started = true;
  }

  /** `request.steps` steps of every env with the weights given; the batch and the episodes finished. */
  async sample(request: SampleRequest): Promise<RunnerSample> {
    await this.setWeights(request.weights);
    await this.start();
    const batch = this.settings.module.algorithm === "PPO" ? await this.samplePpo(request.steps) : await this.sampleDqn(request.steps, request.epsilon ?? 0);
    const episodes = this.pendingEpisodes;
    this.pendingEpisodes = { returns: [], lengths: [] };
    return { batch, episodes, envSteps: request.steps * this.envs.length, runner: this.workerIndex };
  }

  /** Greedy episodes (no exploration) on an env of their own; their returns and lengths. */
  async evaluate(weights: WeightsSource, numEpisodes: number): Promise<Episodes> {
    await this.setWeights(weights);
    const s = this.settings;
    if (this.evalEnv === undefined) {
      this.evalEnv = this.subEnv(s.numEnvs, deriveSeed(s.seed, s.workerIndex, 2));
      await this.evalEnv.make();
    }
    const env = this.evalEnv;
    const out: Episodes = { returns: [], lengths: [] };
    while (out.returns.length < numEpisodes) {
      await env.reset();
      for (;;) {
        const x = encodeObs(s.module.obs, [env.obs]);
        const actions = s.module.algorithm === "PPO" ? ppoAct(s.module, this.weights, x, 1, false, this.rng).actions : qAct(s.module, this.weights, x, 1, 0, this.rng);
        const r = await env.step(envAction(s.module, actions, 0));
        env.obs = r.obs;
        if (r.terminated || r.truncated) break;
      }
      out.returns.push(env.episodeReturn);
      out.lengths.push(env.episodeLength);
    }
    return out;
  }

  /** Runs `fn` (shipped with lux.ship) on this runner: foreachEnvRunner's remote side. */
  async apply(fn: lux.Shipped<(runner: EnvRunner) => unknown>): Promise<unknown> {
    return (await lux.loadShipped(fn))(this);
  }

  async stop(): Promise<void> {
    for (const e of [...this.envs, ...(this.evalEnv !== undefined ? [this.evalEnv] : [])]) await e.close();
  }

  private subEnv(vectorIndex: number, seed: number): SubEnv {
    const s = this.settings;
    return new SubEnv({ source: s.env, envConfig: s.envConfig, context: { workerIndex: s.workerIndex, numWorkers: s.numWorkers, vectorIndex }, seed });
  }

  private async samplePpo(steps: number): Promise<SampleBatch> {
    const s = this.settings;
    const c = new PpoCollector(s.module, this.envs.length, steps, s.gamma, s.lambda);
    for (let t = 0; t < steps; t++) {
      const actions = c.act(this.weights, this.observations(), t, this.rng);
      for (let e = 0; e < this.envs.length; e++) {
        const r = await this.stepEnv(e, envAction(s.module, actions, e));
        if (r === undefined) c.dropped(e, t);
        else c.record(this.weights, e, t, r.reward, r.terminated, r.truncated && !r.terminated ? encodeObs(s.module.obs, [r.obs]) : undefined);
      }
    }
    return c.finish(this.weights, this.observations());
  }

  private async sampleDqn(steps: number, epsilon: number): Promise<SampleBatch> {
    const s = this.settings;
    const c = (this.dqn ??= new DqnCollector(s.module, this.envs.length, s.gamma, s.nStep));
    for (let t = 0; t < steps; t++) {
      const actions = c.act(this.weights, this.observations(), epsilon, this.rng);
      for (let e = 0; e < this.envs.length; e++) {
        const r = await this.stepEnv(e, envAction(s.module, actions, e));
        if (r === undefined) c.dropped(e);
        else c.record(e, r.reward, r.terminated, r.truncated, encodeObs(s.module.obs, [r.obs]));
      }
    }
    return c.take();
  }

  private observations(): Float32Array {
    return encodeObs(this.settings.module.obs, this.envs.map((e) => e.obs));
  }

  /**
   * Steps env `e`; at an episode's end, records it and resets. If the env throws and
   * sub-env restarts are on, rebuilds it (its episode dropped) and gives undefined.
   */
  private async stepEnv(e: number, action: unknown): Promise<{ obs: unknown; reward: number; terminated: boolean; truncated: boolean } | undefined> {
    const env = this.envs[e] as SubEnv;
    try {
      const r = await env.step(action);
      if (r.terminated || r.truncated) {
        this.pendingEpisodes.returns.push(env.episodeReturn);
        this.pendingEpisodes.lengths.push(env.episodeLength);
        await env.reset();
      } else env.obs = r.obs;
      return r;
    } catch (err) {
      if (!(err instanceof EnvError) || !this.settings.restartFailedSubEnvironments) throw err;
      await env.make();
      await env.reset();
      return undefined;
    }
  }
}
