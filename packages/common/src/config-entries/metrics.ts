import { defineConfig } from "../config-define.js";

/** Prometheus metrics of each node, and user metrics (docs/observability.md, "Metrics"). */
export const METRICS_ENTRIES = [
  defineConfig({
    name: "metricsPort",
    type: "number",
    default: 0,
    integer: true,
    min: 0,
    max: 65535,
    doc: "Port on which each raylet serves Prometheus metrics (`/metrics`, with the cluster token), on the node's IP address (`lux start --metrics-port`). 0: a free port, shown by `lux status` and listed in `<session dir>/metrics/targets.json`. Set it only for one raylet per machine: two raylets cannot share a port.",
  }),
  defineConfig({
    name: "metricsPublic",
    type: "boolean",
    default: false,
    doc: "Serve each raylet's `/metrics` without the cluster token (`lux start --metrics-public`, `LocalCluster.start({ metricsPublic: true })`), for a Prometheus that cannot send a bearer token. Read-only (GET and HEAD); nothing else on that port opens. Anyone who reaches the port then reads the node's figures (resources, tasks and actors by state, user metrics).",
  }),
  defineConfig({
    name: "metricsReportIntervalMs",
    type: "number",
    default: 2000,
    integer: true,
    min: 1,
    doc: "How often each process (driver, worker) sends what it recorded with `lux.util.metrics` (and its tasks and actors by state) to its node's raylet, which serves it on `/metrics`; also sent when the process shuts down. Smaller: fresher values, at more messages (one per process per interval, only when something changed).",
  }),
] as const;
