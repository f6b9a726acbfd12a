/**
 * `lux.util.metrics`: user metrics exported to Prometheus by every node (docs/observability.md).
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * const latency = new lux.util.metrics.Histogram({ name: "step_seconds", boundaries: [0.1, 0.5, 1, 5] });
 * latency.observe(0.3);
 * ```
 */
export { Counter, Gauge, Histogram, type MetricOptions, type HistogramOptions, type Tags } from "./metric-classes.js";
