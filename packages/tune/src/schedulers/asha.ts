/**
 * ASHAScheduler (asynchronous successive halving, Li et al. 2018). A bracket has rungs at
 * gracePeriod·reductionFactor^k (up to maxT); when a trial's `timeAttr` first reaches a rung,
 * it goes on only if its metric is in the best 1/reductionFactor of what the trials that
 * reached that rung before it had there (the cutoff is the (1 − 1/rf) percentile of them); it
 * is recorded there either way. A trial stops at maxT. Nothing waits: each decision is made
 * with the results known at that moment.
 */
import type { TrialInfo, TrialResult } from "../types.js";
import type { Rng } from "../search/rng.js";
import { PERSIST } from "../search/searcher.js";
import { MetricScheduler, firstWaiting, invalid, percentile, positive, type Decision, type MetricOptions, type SchedulerContext } from "./scheduler.js";

export interface ASHAOptions extends MetricOptions {
  /** A trial stops when its timeAttr reaches this. Default 100. */
  maxT?: number;
  /** The first rung. Default 1. */
  gracePeriod?: number;
  /** 1/reductionFactor of the trials go on at each rung. Default 4. */
  reductionFactor?: number;
  /** Brackets (each starts its rungs a factor later). Default 1. */
  brackets?: number;
  /** Stop trials at maxT. Default true. */
  stopLastTrials?: boolean;
}

interface Rung {
  readonly milestone: number;
  /** Trial id → its score (higher is better) when it reached this rung. */
  readonly recorded: Map<string, number>;
}

export class ASHAScheduler extends MetricScheduler {
  readonly maxT: number;
  readonly gracePeriod: number;
  readonly reductionFactor: number;
  readonly brackets: number;
  readonly stopLastTrials: boolean;
  /** Per bracket, its rungs from the highest milestone down. */
  private readonly rungs: Rung[][];
  private readonly bracketOf = new Map<string, number>();

  constructor(options: ASHAOptions = {}) {
    super(options, "ASHAScheduler");
    const name = "ASHAScheduler";
    this.maxT = positive(options.maxT ?? 100, name, "maxT");
    this.gracePeriod = positive(options.gracePeriod ?? 1, name, "gracePeriod");
    this.reductionFactor = positive(options.reductionFactor ?? 4, name, "reductionFactor");
    if (this.reductionFactor <= 1) invalid(name, "reductionFactor", "a number > 1", this.reductionFactor);
    this.brackets = positive(options.brackets ?? 1, name, "brackets", true);
    this.stopLastTrials = options.stopLastTrials ?? true;
    if (this.gracePeriod > this.maxT) invalid(name, "gracePeriod", `a number at most maxT (${this.maxT})`, this.gracePeriod);
    const levels = Math.floor(Math.log(this.maxT / this.gracePeriod) / Math.log(this.reductionFactor) + 1e-9) + 1;
    this.rungs = Array.from({ length: this.brackets }, (_, s) =>
      Array.from({ length: Math.max(0, levels - s) }, (_, k) => ({ milestone: this.gracePeriod * this.reductionFactor ** (k + s), recorded: new Map<string, number>() })).reverse(),
    );
  }

  /** The milestones of each bracket, lowest first (e.g. [[1, 4, 16, 64]]). */
  get milestones(): number[][] {
    return this.rungs.map((b) => b.map((r) => r.milestone).reverse());
  }

  onTrialAdd(ctx: SchedulerContext, trial: TrialInfo): void {
    if (!this.bracketOf.has(trial.trialId)) this.bracketOf.set(trial.trialId, this.pickBracket(ctx.rng));
  }

  /** Brackets with more rungs are likelier (a softmax over their sizes). */
  private pickBracket(rng: Rng): number {
    if (this.rungs.length === 1) return 0;
    const sizes = this.rungs.map((b) => b.length);
    const top = Math.max(...sizes);
    const weights = sizes.map((s) => Math.exp(s - top));
    let u = rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i] as number) < 0) return i;
    return weights.length - 1;
  }

  onTrialResult(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision {
    if (!this.bracketOf.has(trial.trialId)) this.onTrialAdd(ctx, trial);
    const t = this.time(result);
    if (this.stopLastTrials && t >= this.maxT) return "STOP";
    const score = this.score(result);
    if (score === undefined) return "CONTINUE";
    return this.atRung(this.rungs[this.bracketOf.get(trial.trialId) as number] ?? [], trial.trialId, t, score);
  }

  /** The highest rung reached that the trial was not recorded at yet: cut or go on, and record. */
  private atRung(rungs: readonly Rung[], trialId: string, t: number, score: number): Decision {
    for (const rung of rungs) {
      if (t < rung.milestone) continue;
      if (rung.recorded.has(trialId)) return "CONTINUE";
      const others = [...rung.recorded.values()];
      const cutoff = others.length === 0 ? undefined : percentile(others, (1 - 1 / this.reductionFactor) * 100);
      rung.recorded.set(trialId, score);
      return cutoff !== undefined && score < cutoff ? "STOP" : "CONTINUE";
    }
    return "CONTINUE";
  }

  chooseTrialToRun(ctx: SchedulerContext): TrialInfo | undefined {
    return firstWaiting(ctx);
  }

  [PERSIST](): { type: string; options: unknown; state: unknown } {
    const { metric, mode, timeAttr, maxT, gracePeriod, reductionFactor, brackets, stopLastTrials } = this;
    return {
      type: "ASHAScheduler",
      options: { metric, mode, timeAttr, maxT, gracePeriod, reductionFactor, brackets, stopLastTrials },
      state: { bracketOf: [...this.bracketOf], rungs: this.rungs.map((b) => b.map((r) => [...r.recorded])) },
    };
  }

  restoreState(state: unknown): void {
    const s = state as { bracketOf: [string, number][]; rungs: [string, number][][][] };
    for (const [id, b] of s.bracketOf) this.bracketOf.set(id, b);
    s.rungs.forEach((b, i) => b.forEach((r, k) => r.forEach(([id, v]) => this.rungs[i]?.[k]?.recorded.set(id, v))));
  }
}
