/**
 * Handling times of one RPC method, in fixed buckets: what a raylet's `/metrics` serves as
 * `lux_rpc_server_latency_ms`. Observing is a few comparisons and two additions, no
 * allocation, so a server can time every request it handles.
 */

/** Upper bounds of the buckets, in milliseconds (a last bucket, +Inf, takes the rest). */
export const RPC_LATENCY_BOUNDARIES_MS: readonly number[] = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]);

export class LatencyHistogram {
  /** Observations per bucket (not cumulative): one per boundary, then +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly boundaries: readonly number[] = RPC_LATENCY_BOUNDARIES_MS) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  observe(ms: number): void {
    const bounds = this.boundaries;
    let i = 0;
    while (i < bounds.length && ms > (bounds[i] as number)) i++;
    this.counts[i]! += 1;
    this.sum += ms;
    this.count++;
  }
}
