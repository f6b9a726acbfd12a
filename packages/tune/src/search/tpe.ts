/**
 * TPESearch: the Tree-structured Parzen Estimator (Bergstra et al. 2011), written here. The first
 * `nStartupTrials` configs are drawn at random; after that, the finished trials are split into
 * the best `gamma` share and the rest, each dimension gets a Parzen estimator of each group (in
 * log scale for log domains; smoothed frequencies for categories), and of `nEiCandidates` values
 * drawn from the good group's estimator the one with the highest ratio good/rest is chosen.
 */
import { InvalidOptionError } from "lux";
import type { Mode, TrialResult } from "../types.js";
import { metricOf } from "../types.js";
import { CategoricalDomain, FloatDomain, GridSearch, IntegerDomain, NormalDomain, quantize, SampleFrom, type Domain } from "./domain.js";
import { Parzen, categoryWeights, drawWeighted } from "./parzen.js";
import { Rng } from "./rng.js";
import { PERSIST, type PersistedSearcher, type SearchProperties, type Searcher } from "./searcher.js";
import { domainsOf, flatten, getAt, isPlainObject, pathKey, pathName, resolveConfig, type ParamSpace, type Path } from "./space.js";

export interface TPESearchOptions {
  /** Default: tuneConfig.metric. */
  metric?: string;
  /** Default: tuneConfig.mode. */
  mode?: Mode;
  /** Configs drawn at random before the estimators are used. Default 10. */
  nStartupTrials?: number;
  /** The share of finished trials that is "good". Default 0.25. */
  gamma?: number;
  /** Values drawn from the good estimator, per dimension, to choose from. Default 24. */
  nEiCandidates?: number;
  /** Default: tuneConfig.seed, else random. */
  seed?: number;
  /** Configs (or parts of them) to run first. */
  pointsToEvaluate?: Record<string, unknown>[];
}

interface Dimension {
  readonly path: Path;
  readonly domain: Domain;
}

interface Observation {
  readonly values: readonly unknown[];
  /** Lower is better (the metric, negated for mode "max"). */
  readonly score: number;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new InvalidOptionError({ option, expected: "a positive integer", received: value });
  return value;
}

export class TPESearch implements Searcher {
  metric: string | undefined;
  mode: Mode | undefined;
  private readonly nStartupTrials: number;
  private readonly gamma: number;
  private readonly nEiCandidates: number;
  private seed: number | undefined;
  private readonly points: Record<string, unknown>[];
  private space: ParamSpace | undefined;
  private dims: Dimension[] = [];
  private rng: Rng | undefined;
  private observations: Observation[] = [];

  constructor(private readonly options: TPESearchOptions = {}) {
    if (!isPlainObject(options as unknown)) throw new InvalidOptionError({ option: "TPESearch options", expected: "an object", received: options });
    this.metric = options.metric;
    this.mode = options.mode;
    if (this.mode !== undefined && this.mode !== "min" && this.mode !== "max") throw new InvalidOptionError({ option: "TPESearch mode", expected: '"min" or "max"', received: this.mode });
    this.nStartupTrials = positiveInteger(options.nStartupTrials, "TPESearch nStartupTrials", 10);
    this.nEiCandidates = positiveInteger(options.nEiCandidates, "TPESearch nEiCandidates", 24);
    const gamma = options.gamma ?? 0.25;
    if (typeof gamma !== "number" || !(gamma > 0 && gamma < 1)) throw new InvalidOptionError({ option: "TPESearch gamma", expected: "a number between 0 and 1", received: gamma });
    this.gamma = gamma;
    this.seed = options.seed;
    this.points = [...(options.pointsToEvaluate ?? [])];
  }

  setSearchProperties(p: SearchProperties): void {
    this.metric ??= p.metric;
    this.mode ??= p.mode;
    this.seed ??= p.seed;
    this.space = p.paramSpace;
    this.rng ??= new Rng(this.seed);
    this.dims = domainsOf(p.paramSpace).filter((d) => !(d.domain instanceof SampleFrom));
    const grid = this.dims.find((d) => d.domain instanceof GridSearch);
    if (grid !== undefined) {
      throw new InvalidOptionError({ option: pathName(grid.path, "paramSpace"), expected: "a domain TPESearch can model (uniform, loguniform, randint, choice, …): gridSearch runs every value, which a searcher does not", received: "tune.gridSearch(…)" });
    }
  }

  suggest(): Record<string, unknown> {
    const space = this.space;
    const rng = this.rng;
    if (space === undefined || rng === undefined) throw new InvalidOptionError({ option: "TPESearch", expected: "a search space (given by the Tuner's paramSpace)", received: undefined });
    const point = this.points.shift();
    const fixed = new Map(Object.entries(point === undefined ? {} : flatten(point)));
    if (this.observations.length >= this.nStartupTrials) {
      const split = this.split();
      this.dims.forEach((d, i) => {
        if (!fixed.has(pathKey(d.path))) fixed.set(pathKey(d.path), this.choose(d.domain, i, split, rng));
      });
    }
    return resolveConfig(space, rng, fixed);
  }

  onTrialComplete(_trialId: string, result: TrialResult | undefined, error: boolean): void {
    if (error || result === undefined || this.metric === undefined) return;
    const value = metricOf(result, this.metric);
    if (value === undefined) return;
    const values = this.dims.map((d) => getAt(result.config, d.path));
    this.observations.push({ values, score: this.mode === "max" ? -value : value });
  }

  private split(): { good: Observation[]; bad: Observation[] } {
    const sorted = [...this.observations].sort((a, b) => a.score - b.score);
    const nGood = Math.max(1, Math.ceil(this.gamma * sorted.length));
    return { good: sorted.slice(0, nGood), bad: sorted.slice(nGood) };
  }

  /** Of candidates drawn from the good estimator, the one most likely good rather than bad. */
  private choose(domain: Domain, dim: number, split: { good: Observation[]; bad: Observation[] }, rng: Rng): unknown {
    if (domain instanceof CategoricalDomain) return this.chooseCategory(domain, dim, split, rng);
    const scale = numericScale(domain);
    if (scale === undefined) return domain.sample(rng, { config: {} });
    const points = (obs: Observation[]): number[] => obs.flatMap((o) => (typeof o.values[dim] === "number" ? [scale.to(o.values[dim] as number)] : []));
    const l = new Parzen(points(split.good), scale.lower, scale.upper);
    const g = new Parzen(points(split.bad), scale.lower, scale.upper);
    let best = l.sample(rng);
    let bestScore = -Infinity;
    for (let i = 0; i < this.nEiCandidates; i++) {
      const x = i === 0 ? best : l.sample(rng);
      const score = l.logDensity(x) - g.logDensity(x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    return scale.from(best);
  }

  private chooseCategory(domain: CategoricalDomain<unknown>, dim: number, split: { good: Observation[]; bad: Observation[] }, rng: Rng): unknown {
    const k = domain.categories.length;
    const key = (v: unknown): string => JSON.stringify(v) ?? String(v);
    const indexOf = (v: unknown): number => domain.categories.findIndex((c) => c === v || key(c) === key(v));
    const indexes = (obs: Observation[]): number[] => obs.map((o) => indexOf(o.values[dim])).filter((i) => i >= 0);
    const wl = categoryWeights(indexes(split.good), k);
    const wg = categoryWeights(indexes(split.bad), k);
    let best = drawWeighted(wl, rng);
    for (let i = 1; i < this.nEiCandidates; i++) {
      const c = drawWeighted(wl, rng);
      if (Math.log(wl[c] as number) - Math.log(wg[c] as number) > Math.log(wl[best] as number) - Math.log(wg[best] as number)) best = c;
    }
    return domain.categories[best];
  }

  [PERSIST](): PersistedSearcher {
    const { metric, mode } = this;
    return {
      type: "TPESearch",
      options: { ...this.options, metric, mode, seed: this.seed },
      state: { observations: this.observations, rng: this.rng?.save(), points: this.points },
    };
  }

  /** Continues from a saved state (Tuner.restore); call after setSearchProperties. */
  restoreState(state: unknown): void {
    const s = state as { observations?: Observation[]; rng?: number; points?: Record<string, unknown>[] };
    this.observations = [...(s.observations ?? [])];
    if (s.rng !== undefined) this.rng?.restore(s.rng);
    this.points.splice(0, this.points.length, ...(s.points ?? []));
  }
}

/** A numeric domain as an interval TPE works in (log scale for log domains, step indexes for integers). */
function numericScale(domain: Domain): { lower: number; upper: number; to(v: number): number; from(x: number): number } | undefined {
  if (domain instanceof FloatDomain) {
    const { lower, upper, log, q } = domain;
    const to = (v: number): number => (log ? Math.log(v) : v);
    const from = (x: number): number => {
      const v = Math.min(upper, Math.max(lower, log ? Math.exp(x) : x));
      return q === undefined ? v : quantize(v, q, lower, upper);
    };
    return { lower: to(lower), upper: to(upper), to, from };
  }
  if (domain instanceof IntegerDomain) {
    const steps = Math.ceil((domain.upper - domain.lower) / domain.q);
    return {
      lower: -0.5,
      upper: steps - 0.5,
      to: (v) => (v - domain.lower) / domain.q,
      from: (x) => domain.lower + domain.q * Math.min(steps - 1, Math.max(0, Math.round(x))),
    };
  }
  if (domain instanceof NormalDomain) {
    return { lower: domain.mean - 4 * domain.sd, upper: domain.mean + 4 * domain.sd, to: (v) => v, from: (x) => x };
  }
  return undefined;
}
