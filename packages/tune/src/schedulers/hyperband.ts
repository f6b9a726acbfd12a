/**
 * HyperBandScheduler (Li et al. 2017) with synchronous brackets. Bands of brackets s = smax … 0
 * (smax + 1 = round(log_eta(maxT)) + 1): bracket s is planned for ceil((smax+1)/(s+1)·eta^s)
 * trials running maxT·eta^-s units first. Trials fill the brackets in order. A trial that ends
 * its round pauses (its resources go to the next trial) until every live trial of its bracket
 * ended that round; then the best ceil(n/eta) continue (from their checkpoints) for eta times
 * longer and the rest stop. PAUSED trials continue from their latest checkpoint.
 */
import type { TrialInfo, TrialResult } from "../types.js";
import { PERSIST } from "../search/searcher.js";
import { HyperBandBracket, type BracketState } from "./hyperband-bracket.js";
import { MetricScheduler, invalid, positive, type Decision, type MetricOptions, type SchedulerContext } from "./scheduler.js";

export interface HyperBandOptions extends MetricOptions {
  /** The most units of timeAttr a trial runs. Default 81. */
  maxT?: number;
  /** eta: the share 1/eta of a bracket's trials go on at each halving. Default 3. */
  reductionFactor?: number;
  /** Stop the trials of a bracket's last round at its end. Default true. */
  stopLastTrials?: boolean;
}

export class HyperBandScheduler extends MetricScheduler {
  readonly maxT: number;
  readonly reductionFactor: number;
  readonly stopLastTrials: boolean;
  /** Brackets per band (smax + 1). */
  private readonly sMax1: number;
  private readonly bands: HyperBandBracket[][] = [[]];
  private readonly bracketOf = new Map<string, HyperBandBracket>();

  constructor(options: HyperBandOptions = {}) {
    super(options, "HyperBandScheduler");
    this.maxT = positive(options.maxT ?? 81, "HyperBandScheduler", "maxT");
    this.reductionFactor = positive(options.reductionFactor ?? 3, "HyperBandScheduler", "reductionFactor");
    if (this.reductionFactor <= 1) invalid("HyperBandScheduler", "reductionFactor", "a number > 1", this.reductionFactor);
    this.stopLastTrials = options.stopLastTrials ?? true;
    this.sMax1 = Math.max(1, Math.round(Math.log(this.maxT) / Math.log(this.reductionFactor)) + 1);
  }

  private newBracket(s: number): HyperBandBracket {
    const n = Math.ceil((this.sMax1 / (s + 1)) * this.reductionFactor ** s);
    const r = this.maxT * this.reductionFactor ** -s;
    return new HyperBandBracket(n, r, s, this.reductionFactor, this.maxT, this.stopLastTrials, (res) => this.time(res ?? undefined));
  }

  onTrialAdd(_ctx: SchedulerContext, trial: TrialInfo): void {
    if (this.bracketOf.has(trial.trialId)) return;
    let band = this.bands[this.bands.length - 1] as HyperBandBracket[];
    let bracket = band[band.length - 1];
    if (bracket === undefined || bracket.filled()) {
      if (band.length >= this.sMax1) this.bands.push((band = []));
      bracket = this.newBracket(this.sMax1 - band.length - 1);
      band.push(bracket);
    }
    bracket.live.set(trial.trialId, null);
    this.bracketOf.set(trial.trialId, bracket);
  }

  onTrialResult(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult): Decision {
    if (!this.bracketOf.has(trial.trialId)) this.onTrialAdd(ctx, trial);
    const bracket = this.bracketOf.get(trial.trialId) as HyperBandBracket;
    // A trial its bracket let go (halved out) does not come back.
    if (!bracket.live.has(trial.trialId)) return "STOP";
    bracket.live.set(trial.trialId, result);
    if (bracket.continues(trial.trialId)) return "CONTINUE";
    return this.process(ctx, bracket, trial.trialId);
  }

  /** Once a bracket's round is done: halve it (or end it). The decision for `current`, the trial whose result this is. */
  private process(ctx: SchedulerContext, bracket: HyperBandBracket, current: string | undefined): Decision {
    if (!bracket.roundDone()) return "PAUSE";
    if (bracket.finished()) {
      for (const id of [...bracket.live.keys()]) this.end(ctx, bracket, id, current);
      return "STOP";
    }
    let decision: Decision = "PAUSE";
    const { good, bad } = bracket.halve((res) => this.score(res ?? undefined) ?? -Infinity);
    for (const id of bad) {
      this.end(ctx, bracket, id, current);
      if (id === current) decision = "STOP";
    }
    if (current !== undefined && good.includes(current)) decision = "CONTINUE";
    return decision;
  }

  /** Ends a trial the bracket does not keep: the current one by the decision, a paused one here. */
  private end(ctx: SchedulerContext, bracket: HyperBandBracket, id: string, current: string | undefined): void {
    bracket.remove(id, true);
    const trial = ctx.trials.find((t) => t.trialId === id);
    if (id !== current && trial !== undefined && (trial.status === "PAUSED" || trial.status === "PENDING")) ctx.stop(trial);
  }

  onTrialComplete(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult | undefined): void {
    this.leave(ctx, trial, result, true);
  }

  onTrialError(ctx: SchedulerContext, trial: TrialInfo): void {
    this.leave(ctx, trial, undefined, false);
  }

  private leave(ctx: SchedulerContext, trial: TrialInfo, result: TrialResult | undefined, completed: boolean): void {
    const bracket = this.bracketOf.get(trial.trialId);
    if (bracket === undefined || !bracket.live.has(trial.trialId)) return;
    if (result !== undefined) bracket.live.set(trial.trialId, result);
    bracket.remove(trial.trialId, completed);
    // The trials it waited for may now be all there.
    if (bracket.live.size > 0) this.process(ctx, bracket, undefined);
  }

  /** Pending trials first, then paused ones their bracket lets go on, by band and bracket. */
  chooseTrialToRun(ctx: SchedulerContext): TrialInfo | undefined {
    for (const band of this.bands) {
      for (const bracket of band) {
        const waiting = ctx.trials.filter((t) => this.bracketOf.get(t.trialId) === bracket);
        const next =
          waiting.find((t) => t.status === "PENDING") ?? waiting.find((t) => t.status === "PAUSED" && bracket.live.has(t.trialId) && bracket.continues(t.trialId));
        if (next !== undefined) return next;
      }
    }
    return ctx.trials.find((t) => t.status === "PENDING" && !this.bracketOf.has(t.trialId));
  }

  [PERSIST](): { type: string; options: unknown; state: unknown } {
    const { metric, mode, timeAttr, maxT, reductionFactor, stopLastTrials } = this;
    const ids = new Map(this.bands.flat().map((b, i) => [b, i]));
    return {
      type: "HyperBandScheduler",
      options: { metric, mode, timeAttr, maxT, reductionFactor, stopLastTrials },
      state: { bands: this.bands.map((band) => band.map((b) => b.save())), bracketOf: [...this.bracketOf].map(([id, b]) => [id, ids.get(b)]) },
    };
  }

  restoreState(state: unknown): void {
    const s = state as { bands: BracketState[][]; bracketOf: [string, number][] };
    this.bands.splice(0, this.bands.length, ...s.bands.map((band) => band.map((b, k) => {
      const bracket = this.newBracket(this.sMax1 - k - 1);
      bracket.load(b);
      return bracket;
    })));
    const all = this.bands.flat();
    for (const [id, i] of s.bracketOf) {
      const b = all[i];
      if (b !== undefined) this.bracketOf.set(id, b);
    }
  }
}
