/**
 * What `tuner.fit()` resolves to: a Result per trial, in trial order, the best one by a metric,
 * the errors, and all of it as an Arrow table.
 */
import { InvalidOptionError } from "lux";
import type { Checkpoint } from "@lux/train";
import type * as Arrow from "apache-arrow";
import type { Metrics } from "./metrics.js";
import { flatten } from "./search/space.js";
import { metricOf, type Mode, type TrialResult, type TrialStatus } from "./types.js";

/** One trial's outcome. */
export interface Result<C = Record<string, unknown>> {
  /** The trial's config (its last: PBT changes it). */
  readonly config: C;
  /** Its last result (`{}` when it made none). */
  readonly metrics: Metrics;
  /** Its latest persisted checkpoint. */
  readonly checkpoint: Checkpoint | undefined;
  /** Its folder. */
  readonly path: string;
  /** Why it failed (ERROR), with the trainable's remote stack; undefined otherwise. */
  readonly error: Error | undefined;
  /** Every result, in order. */
  readonly metricsHistory: readonly TrialResult[];
}

/** How `getBestResult` scores a trial: its last result, the mean of its results, or its best one. */
export type Scope = "last" | "avg" | "all" | "last-5-avg" | "last-10-avg";

let arrow: typeof Arrow | undefined;

/** Loads Arrow (in the driver only: trial actors never need it). */
export async function loadArrow(): Promise<void> {
  arrow ??= await import("apache-arrow");
}

export class ResultGrid<C = Record<string, unknown>> implements Iterable<Result<C>> {
  constructor(
    private readonly results: readonly Result<C>[],
    /** Each trial's status, by result. */
    private readonly statuses: readonly TrialStatus[],
    /** tuneConfig's metric and mode: getBestResult's defaults. */
    private readonly metric: string | undefined,
    private readonly mode: Mode | undefined,
    /** The experiment's folder, storagePath/name. */
    readonly experimentPath: string,
  ) {}

  get length(): number {
    return this.results.length;
  }

  get(i: number): Result<C> {
    const r = this.results[i];
    if (r === undefined) throw new RangeError(`ResultGrid.get(${i}): there are ${this.results.length} results (0 … ${this.results.length - 1})`);
    return r;
  }

  [Symbol.iterator](): Iterator<Result<C>> {
    return this.results[Symbol.iterator]();
  }

  /** The trials' errors, in trial order. */
  get errors(): Error[] {
    return this.results.flatMap((r) => (r.error === undefined ? [] : [r.error]));
  }

  get numErrors(): number {
    return this.errors.length;
  }

  /** Trials that ended without an error (TERMINATED). */
  get numTerminated(): number {
    return this.statuses.filter((s) => s === "TERMINATED").length;
  }

  /** The metrics any trial reported, sorted. */
  private reportedMetrics(): string[] {
    const keys = new Set<string>();
    for (const r of this.results) for (const h of r.metricsHistory) for (const k of Object.keys(flatten(omitConfig(h)))) keys.add(k);
    return [...keys].sort();
  }

  /**
   * The trial with the best `metric` (default tuneConfig's) by `mode`, scoring each trial by
   * `scope`: its last result (default), the mean of its results ("avg", or of its last 5 or 10),
   * or its best result ("all"). Trials without the metric are skipped.
   */
  getBestResult(metric?: string, mode?: Mode, scope: Scope = "last"): Result<C> {
    const m = metric ?? this.metric;
    const o = mode ?? this.mode;
    const reported = this.reportedMetrics();
    const listed = reported.length === 0 ? "none (no trial reported)" : reported.join(", ");
    if (m === undefined) throw new InvalidOptionError({ option: "metric", expected: `a metric to compare by (tuneConfig has none); the reported metrics: ${listed}`, received: m });
    if (o !== "min" && o !== "max") throw new InvalidOptionError({ option: "mode", expected: '"min" or "max" (tuneConfig has none)', received: o });
    if (!["last", "avg", "all", "last-5-avg", "last-10-avg"].includes(scope)) throw new InvalidOptionError({ option: "scope", expected: '"last", "avg", "all", "last-5-avg" or "last-10-avg"', received: scope });
    let best: { r: Result<C>; v: number } | undefined;
    for (const r of this.results) {
      const v = scoreOf(r.metricsHistory, m, o, scope);
      if (v !== undefined && (best === undefined || (o === "min" ? v < best.v : v > best.v))) best = { r, v };
    }
    if (best === undefined) throw new InvalidOptionError({ option: "metric", expected: `one of the reported metrics: ${listed}`, received: m });
    return best.r;
  }

  /** A row per trial: its last result's metrics (nested ones as `a/b`) and its config as `config/lr`. */
  toTable(): Arrow.Table {
    if (arrow === undefined) throw new TypeError("ResultGrid.toTable(): Arrow is not loaded (a ResultGrid comes from tuner.fit(), which loads it)");
    const rows = this.results.map((r) => {
      const row: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(flatten(omitConfig(r.metrics)))) row[k] = scalar(v);
      for (const [k, v] of Object.entries(flatten(r.config as Record<string, unknown>, "config"))) row[k] = scalar(v);
      return row;
    });
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return arrow.tableFromJSON(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))));
  }
}

function omitConfig(m: Metrics): Metrics {
  const { config: _config, ...rest } = m;
  return rest;
}

/** Numbers, strings and booleans as they are; anything else as JSON text (a column has one type). */
function scalar(v: unknown): unknown {
  return v === null || v === undefined || typeof v === "number" || typeof v === "string" || typeof v === "boolean" ? (v ?? null) : JSON.stringify(v);
}

function scoreOf(history: readonly TrialResult[], metric: string, mode: Mode, scope: Scope): number | undefined {
  const values = history.map((h) => metricOf(h, metric)).filter((v): v is number => v !== undefined);
  if (values.length === 0) return undefined;
  const mean = (vs: number[]): number => vs.reduce((a, b) => a + b, 0) / vs.length;
  switch (scope) {
    case "last":
      return metricOf(history[history.length - 1], metric) ?? values[values.length - 1];
    case "avg":
      return mean(values);
    case "last-5-avg":
      return mean(values.slice(-5));
    case "last-10-avg":
      return mean(values.slice(-10));
    case "all":
      return mode === "min" ? Math.min(...values) : Math.max(...values);
  }
}
