/**
 * `lux.util.metrics`: Counter, Gauge and Histogram, usable in drivers, tasks and actors. Each
 * process sends what it recorded to its node's raylet every metricsReportIntervalMs; the raylet
 * sums the node's processes and serves the result to Prometheus on `/metrics`. Declarations and
 * values are checked at once (InvalidMetricError).
 */
import { InvalidMetricError } from "@lux/core";
import { declare, type MetricState } from "./registry.js";
import { checkBoundaries, checkDescription, checkName, checkTagKeys, checkValue, tagValues } from "./validate.js";

/** Tags of one recording: a value for some or all of the metric's declared `tagKeys` (those not given are ""). */
export type Tags = Readonly<Record<string, string>>;

export interface MetricOptions {
  /** Prometheus' rules: letters, digits, `_` and `:`, not starting with a digit; `lux_` is reserved. */
  name: string;
  /** The metric's help text. */
  description?: string;
  /** The tag (label) keys its recordings may set. */
  tagKeys?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, strictly ascending (a last bucket, +Inf, takes the rest). */
  boundaries: readonly number[];
}

abstract class Metric {
  /** The metric's name, as declared. */
  readonly name: string;
  readonly description: string;
  readonly tagKeys: readonly string[];
  protected readonly state: MetricState;

  protected constructor(options: MetricOptions, kind: "counter" | "gauge" | "histogram", boundaries?: readonly number[]) {
    if (typeof options !== "object" || options === null) throw new InvalidMetricError({ metric: String(options), problem: "takes an options object { name, description, tagKeys }" });
    this.name = checkName(options.name);
    this.description = checkDescription(this.name, options.description);
    this.tagKeys = checkTagKeys(this.name, options.tagKeys);
    this.state = declare({ name: this.name, kind, description: this.description, tagKeys: this.tagKeys, ...(boundaries !== undefined ? { boundaries } : {}) });
  }

  protected tags(tags: Tags | undefined): string[] {
    return tagValues(this.name, this.tagKeys, tags);
  }
}

/**
 * A count that only goes up, summed over the node's processes. Prometheus sees it as
 * `<name>_total` (unless the name already ends in `_total`).
 *
 * @example
 * ```ts
 * const requests = new lux.util.metrics.Counter({ name: "requests", description: "Requests served", tagKeys: ["route"] });
 * requests.inc(1, { route: "/predict" });
 * ```
 */
export class Counter extends Metric {
  constructor(options: MetricOptions) {
    super(options, "counter");
  }

  /** Adds `value` (default 1; never negative) to the tag set's count. */
  inc(value = 1, tags?: Tags): void {
    checkValue(this.name, value, "inc()");
    if (value < 0) throw new InvalidMetricError({ metric: this.name, problem: `a counter only goes up: inc(${value}) is negative (use a Gauge for values that go down)` });
    this.state.inc(this.tags(tags), value);
  }
}

/** A value that goes up and down: each process's last value per tag set, summed over the node's processes. */
export class Gauge extends Metric {
  constructor(options: MetricOptions) {
    super(options, "gauge");
  }

  /** Sets the tag set's value (this process's part of the node's sum). */
  set(value: number, tags?: Tags): void {
    checkValue(this.name, value, "set()");
    this.state.set(this.tags(tags), value);
  }
}

/** Observations counted in buckets (`<name>_bucket`, `_sum`, `_count`), merged over the node's processes. */
export class Histogram extends Metric {
  readonly boundaries: readonly number[];

  constructor(options: HistogramOptions) {
    const name = checkName((options as HistogramOptions | undefined)?.name);
    const boundaries = checkBoundaries(name, options.boundaries);
    super(options, "histogram", boundaries);
    this.boundaries = boundaries;
  }

  /** Counts `value` in its bucket. */
  observe(value: number, tags?: Tags): void {
    checkValue(this.name, value, "observe()");
    this.state.observe(this.tags(tags), value);
  }
}
