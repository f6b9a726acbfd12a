/**
 * MedianStoppingRule: past `gracePeriod` (in timeAttr), a trial stops when its best result so far
 * is worse than the median of the other trials' running means at the same point (each trial's
 * mean of its results up to that timeAttr), once at least `minSamplesRequired` other trials got
 * that far.
 */
import type { TrialInfo, TrialResult } from "../types.js";
import { PERSIST } from "../search/searcher.js";
import { MetricScheduler, firstWaiting, median, positive, type Decision, type MetricOptions, type SchedulerContext } from "./scheduler.js";

export interface MedianStoppingOptions extends MetricOptions {
  /** No trial stops before its timeAttr reaches this. Default 1. */
  gracePeriod?: number;
  /** Other trials that must have got as far for a decision. Default 3. */
  minSamplesRequired?: number;
  /** Stop the trial (true, default) or pause it (false). */
  hardStop?: boolean;
}

export class MedianStoppingRule extends MetricScheduler {
  readonly gracePeriod: number;
  readonly minSamplesRequired: number;
  readonly hardStop: boolean;
  /** Per trial: [timeAttr, score] of each result (score: higher is better). */
  private readonly results = new Map<string, [number, number][]>();

  constructor(options: MedianStoppingOptions = {}) {
    super(options, "MedianStoppingRule");
    const g = options.gracePeriod ?? 1;
    if (typeof g !== "number" || !(g >= 0)) positive(g, "MedianStoppingRule", "gracePeriod");
    this.gracePeriod = g;
    this.minSamplesRequired = positive(options.minSamplesRequired ?? 3, "MedianStoppingRule", "minSamplesRequired", true);
    this.hardStop = options.hardStop ?? true;
  }

  onTrialResult(_ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision {
    const score = this.score(result);
    const t = this.time(result);
    if (score === undefined) return "CONTINUE";
    const mine = this.results.get(trial.trialId) ?? [];
    this.results.set(trial.trialId, [...mine, [t, score]]);
    if (t < this.gracePeriod) return "CONTINUE";
    const means: number[] = [];
    for (const [id, rs] of this.results) {
      if (id === trial.trialId || (rs[rs.length - 1]?.[0] ?? -Infinity) < t) continue;
      const upTo = rs.filter(([rt]) => rt <= t).map(([, s]) => s);
      if (upTo.length > 0) means.push(upTo.reduce((a, b) => a + b, 0) / upTo.length);
    }
    if (means.length < this.minSamplesRequired) return "CONTINUE";
    const best = Math.max(...(this.results.get(trial.trialId) ?? []).map(([, s]) => s));
    if (best >= median(means)) return "CONTINUE";
    return this.hardStop ? "STOP" : "PAUSE";
  }

  chooseTrialToRun(ctx: SchedulerContext): TrialInfo | undefined {
    return firstWaiting(ctx);
  }

  [PERSIST](): { type: string; options: unknown; state: unknown } {
    const { metric, mode, timeAttr, gracePeriod, minSamplesRequired, hardStop } = this;
    return { type: "MedianStoppingRule", options: { metric, mode, timeAttr, gracePeriod, minSamplesRequired, hardStop }, state: [...this.results] };
  }

  restoreState(state: unknown): void {
    for (const [id, rs] of state as [string, [number, number][]][]) this.results.set(id, rs);
  }
}
