/**
 * Serve's metrics, recorded with lux.util.metrics in proxies and replicas and served by each
 * node's /metrics: requests and their latency per route (proxies) and per deployment
 * (replicas). Made at first use, in the process that records them.
 */
import * as lux from "lux";

const LATENCY_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 60_000];

let http: { requests: lux.util.metrics.Counter; latency: lux.util.metrics.Histogram } | undefined;
let replica: { requests: lux.util.metrics.Counter; errors: lux.util.metrics.Counter; latency: lux.util.metrics.Histogram } | undefined;

/** One HTTP request answered by a proxy. */
export function recordHttp(route: string, method: string, status: number, ms: number): void {
  http ??= {
    requests: new lux.util.metrics.Counter({ name: "serve_num_http_requests", description: "HTTP requests answered by serve's proxies", tagKeys: ["route", "method", "status_code"] }),
    latency: new lux.util.metrics.Histogram({ name: "serve_http_request_latency_ms", description: "HTTP request latency in serve's proxies (ms)", boundaries: LATENCY_MS, tagKeys: ["route"] }),
  };
  http.requests.inc(1, { route, method, status_code: String(status) });
  http.latency.observe(ms, { route });
}

/** One request processed by a replica. */
export function recordReplicaRequest(app: string, deployment: string, ms: number, failed: boolean): void {
  replica ??= {
    requests: new lux.util.metrics.Counter({ name: "serve_deployment_request_counter", description: "Requests processed by serve's replicas", tagKeys: ["application", "deployment"] }),
    errors: new lux.util.metrics.Counter({ name: "serve_deployment_error_counter", description: "Requests that threw in serve's replicas", tagKeys: ["application", "deployment"] }),
    latency: new lux.util.metrics.Histogram({ name: "serve_deployment_processing_latency_ms", description: "Request processing time in serve's replicas (ms)", boundaries: LATENCY_MS, tagKeys: ["application", "deployment"] }),
  };
  const tags = { application: app, deployment };
  replica.requests.inc(1, tags);
  if (failed) replica.errors.inc(1, tags);
  replica.latency.observe(ms, tags);
}
