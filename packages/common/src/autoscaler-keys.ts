/**
 * What the autoscaler and the rest of Lux share through the control service's internal KV
 * (no namespace: users' `lux.util.kv` cannot reach these keys).
 */

/** The standing request of `lux.requestResources()`: a JSON AutoscalerRequest. */
export const AUTOSCALER_REQUEST_KEY = "lux:autoscaler:request";
/** The autoscaler's last report (per-type counts, demand, failures), JSON, for `lux status`. */
export const AUTOSCALER_STATUS_KEY = "lux:autoscaler:status";

/** `lux.requestResources()`'s standing request: the cluster should be able to hold these bundles at once. */
export interface AutoscalerRequest {
  bundles: Record<string, number>[];
  requestedAtMs: number;
}
