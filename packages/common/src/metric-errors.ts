/** Errors of `lux.util.metrics` (declared here with the others, so they cross the wire and come back as their class). */
import { defineError } from "@lux/protocol";

/**
 * A metric declared or recorded wrongly: a name or tag key Prometheus does not allow, a tag
 * key the metric did not declare, a negative counter increment, histogram boundaries that
 * are empty or not ascending, or a name declared again with another definition.
 */
export const InvalidMetricError = defineError(
  "LUX_INVALID_METRIC",
  "InvalidMetricError",
  (f: {
    /** The metric's name (as given). */
    readonly metric: string;
    /** What is wrong. */
    readonly problem: string;
  }) => `invalid metric ${JSON.stringify(f.metric)}: ${f.problem}`,
);
export type InvalidMetricError = InstanceType<typeof InvalidMetricError>;
