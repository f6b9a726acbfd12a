/**
 * Metrics (issue 16, point 6): what a process tells its node's raylet about the metrics it
 * recorded (`lux.util.metrics` and Lux's own per-process series), in one report every
 * metricsReportIntervalMs. The raylet sums them per node and serves them to Prometheus.
 *
 * Counters and histograms travel as increments since the previous report (the raylet adds
 * them to the node's totals, which so never go down when a process ends); gauges as their
 * last value (the raylet keeps each process's, and forgets them when the process goes).
 */
import { arr, lit, num, obj, opt, str, type Infer } from "./schema.js";

/** A metric's name, as Prometheus allows it (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A tag (label) key, as Prometheus allows it; keys starting with `__` are Prometheus' own. */
export const METRIC_TAG_KEY_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const MetricKind = lit("counter", "gauge", "histogram");
export type MetricKind = Infer<typeof MetricKind>;

/**
 * One tag set's data. `tags`: the values of the metric's `tagKeys`, in their order ("" for a
 * tag not given). Counter: `value` is the increment; gauge: the value; histogram: `value` is
 * the sum observed and `counts` the observations per bucket (one per boundary, then +Inf).
 */
export const MetricSeries = obj({ tags: arr(str), value: num, counts: opt(arr(num)) });
export type MetricSeries = Infer<typeof MetricSeries>;

export const MetricData = obj({
  name: str,
  kind: MetricKind,
  description: str,
  tagKeys: arr(str),
  /** A histogram's bucket boundaries, ascending. */
  boundaries: opt(arr(num)),
  series: arr(MetricSeries),
});
export type MetricData = Infer<typeof MetricData>;

export const MetricsReport = obj({ metrics: arr(MetricData) });
export type MetricsReport = Infer<typeof MetricsReport>;
