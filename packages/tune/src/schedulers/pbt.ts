/**
 * PopulationBasedTraining (Jaderberg et al. 2017). Every `perturbationInterval` units of
 * timeAttr a trial's latest score places it among the others still running: in the bottom
 * `quantileFraction` it exploits a trial of the top one (its latest checkpoint, copied, and its
 * config, explored: see pbt-explore.ts) and goes on from there; in the top one it saves a
 * checkpoint (a class trainable; a function trainable reports its own).
 */
import type { TrialInfo, TrialResult } from "../types.js";
import { PERSIST } from "../search/searcher.js";
import { explore, mutationPaths, type HyperparamMutations } from "./pbt-explore.js";
import { MetricScheduler, invalid, positive, type Decision, type MetricOptions, type SchedulerContext } from "./scheduler.js";

export interface PBTOptions extends MetricOptions {
  /** Units of timeAttr between two exploit/explore steps of a trial. Default 10. */
  perturbationInterval?: number;
  /** No exploit/explore step before a trial's timeAttr reaches this. Default 0. */
  burnInPeriod?: number;
  /** What each hyperparameter may become (domains, lists, functions), nested as the config. */
  hyperparamMutations?: HyperparamMutations;
  /** The top and bottom shares. Default 0.25 (at most 0.5). */
  quantileFraction?: number;
  /** The chance a hyperparameter is drawn anew rather than perturbed. Default 0.25. */
  resampleProbability?: number;
  /** What perturbed numbers are multiplied by, one at random. Default [1.2, 0.8]. */
  perturbationFactors?: number[];
  /** Changes the explored config further (or instead, when hyperparamMutations is empty). */
  customExploreFn?: (config: Record<string, unknown>) => Record<string, unknown>;
}

interface PbtState {
  lastScore: number | undefined;
  lastPerturbationTime: number;
}

export class PopulationBasedTraining extends MetricScheduler {
  readonly perturbationInterval: number;
  readonly burnInPeriod: number;
  readonly hyperparamMutations: HyperparamMutations;
  readonly quantileFraction: number;
  readonly resampleProbability: number;
  readonly perturbationFactors: readonly number[];
  private readonly customExploreFn: PBTOptions["customExploreFn"];
  private readonly states = new Map<string, PbtState>();

  constructor(options: PBTOptions = {}) {
    super(options, "PopulationBasedTraining");
    const name = "PopulationBasedTraining";
    this.perturbationInterval = positive(options.perturbationInterval ?? 10, name, "perturbationInterval");
    this.burnInPeriod = options.burnInPeriod ?? 0;
    if (typeof this.burnInPeriod !== "number" || !(this.burnInPeriod >= 0)) invalid(name, "burnInPeriod", "a number >= 0", this.burnInPeriod);
    this.hyperparamMutations = options.hyperparamMutations ?? {};
    if (typeof this.hyperparamMutations !== "object" || this.hyperparamMutations === null) invalid(name, "hyperparamMutations", "an object of mutations by key", this.hyperparamMutations);
    this.customExploreFn = options.customExploreFn;
    if (mutationPaths(this.hyperparamMutations).length === 0 && this.customExploreFn === undefined) {
      invalid(name, "hyperparamMutations", "at least one hyperparameter to mutate (or a customExploreFn)", this.hyperparamMutations);
    }
    this.quantileFraction = options.quantileFraction ?? 0.25;
    if (!(this.quantileFraction > 0 && this.quantileFraction <= 0.5)) invalid(name, "quantileFraction", "a number in (0, 0.5]", this.quantileFraction);
    this.resampleProbability = options.resampleProbability ?? 0.25;
    if (!(this.resampleProbability >= 0 && this.resampleProbability <= 1)) invalid(name, "resampleProbability", "a number in [0, 1]", this.resampleProbability);
    this.perturbationFactors = options.perturbationFactors ?? [1.2, 0.8];
    if (!Array.isArray(this.perturbationFactors) || this.perturbationFactors.length === 0 || !this.perturbationFactors.every((f) => typeof f === "number" && f > 0)) {
      invalid(name, "perturbationFactors", "a non-empty array of positive numbers", this.perturbationFactors);
    }
  }

  private state(trialId: string): PbtState {
    let s = this.states.get(trialId);
    if (s === undefined) this.states.set(trialId, (s = { lastScore: undefined, lastPerturbationTime: 0 }));
    return s;
  }

  onTrialAdd(_ctx: SchedulerContext, trial: TrialInfo): void {
    this.state(trial.trialId);
  }

  onTrialResult(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision {
    const score = this.score(result);
    const t = this.time(result);
    const state = this.state(trial.trialId);
    if (score === undefined || t < this.burnInPeriod || t - state.lastPerturbationTime < this.perturbationInterval) return "CONTINUE";
    state.lastScore = score;
    state.lastPerturbationTime = t;
    const { lower, upper } = this.quantiles(ctx);
    if (upper.some((u) => u.trialId === trial.trialId)) {
      ctx.requestCheckpoint(trial);
      return "CONTINUE";
    }
    if (!lower.some((l) => l.trialId === trial.trialId)) return "CONTINUE";
    const source = ctx.rng.pick(upper);
    const settings = { resampleProbability: this.resampleProbability, perturbationFactors: this.perturbationFactors };
    let config = explore(source.config, this.hyperparamMutations, settings, ctx.rng);
    if (this.customExploreFn !== undefined) config = this.customExploreFn(config);
    if (!ctx.exploit(trial, source, config)) return "CONTINUE";
    state.lastPerturbationTime = this.state(source.trialId).lastPerturbationTime;
    return "PAUSE";
  }

  /** The bottom and top trials by their latest score at a perturbation (those still running or waiting). */
  private quantiles(ctx: SchedulerContext): { lower: TrialInfo[]; upper: TrialInfo[] } {
    const scored = ctx.trials
      .filter((t) => t.status !== "TERMINATED" && t.status !== "ERROR" && this.states.get(t.trialId)?.lastScore !== undefined)
      .sort((a, b) => (this.states.get(a.trialId)?.lastScore as number) - (this.states.get(b.trialId)?.lastScore as number));
    if (scored.length <= 1) return { lower: [], upper: [] };
    let n = Math.ceil(scored.length * this.quantileFraction);
    if (n > scored.length / 2) n = Math.floor(scored.length / 2);
    return { lower: scored.slice(0, n), upper: scored.slice(scored.length - n) };
  }

  /** Exploited (paused) trials first: they continue at once from their new checkpoint. */
  chooseTrialToRun(ctx: SchedulerContext): TrialInfo | undefined {
    return ctx.trials.find((t) => t.status === "PAUSED") ?? ctx.trials.find((t) => t.status === "PENDING");
  }

  [PERSIST](): { type: string; options: unknown; state: unknown } | undefined {
    if (this.customExploreFn !== undefined || mutationPaths(this.hyperparamMutations).some((m) => typeof m.mutation === "function")) return undefined;
    const { metric, mode, timeAttr, perturbationInterval, burnInPeriod, quantileFraction, resampleProbability, perturbationFactors } = this;
    return {
      type: "PopulationBasedTraining",
      options: { metric, mode, timeAttr, perturbationInterval, burnInPeriod, quantileFraction, resampleProbability, perturbationFactors, hyperparamMutations: this.hyperparamMutations },
      state: [...this.states],
    };
  }

  restoreState(state: unknown): void {
    for (const [id, s] of state as [string, PbtState][]) this.states.set(id, s);
  }
}
