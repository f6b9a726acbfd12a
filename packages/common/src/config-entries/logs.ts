import { defineConfig } from "../config-define.js";

/** Log files and worker output (docs/observability.md, "Logs"). */
export const LOG_ENTRIES = [
  defineConfig({
    name: "logRotationBytes",
    type: "number",
    default: 100 * 1024 * 1024,
    integer: true,
    min: 0,
    doc: "Size at which a log file of the session (the control service's, a raylet's, each worker's output) is renamed to `NAME.1` (older ones shift to `.2`, …) and a new one is started. 0 never rotates. Each process's logs take at most about logRotationBytes × (logRotationBackups + 1) of disk.",
  }),
  defineConfig({
    name: "logRotationBackups",
    type: "number",
    default: 5,
    integer: true,
    min: 0,
    doc: "Rotated files kept per log file (`NAME.1` … `NAME.N`); the oldest is deleted past it. 0 keeps none: a full file starts over empty.",
  }),
  defineConfig({
    name: "logToDriverBufferBytes",
    type: "number",
    default: 8 * 1024 * 1024,
    integer: true,
    min: 1024,
    doc: "Worker output a raylet holds per job for its driver while the previous batch is on its way (the driver is slow or unreachable). Lines past it are dropped from what the driver prints (the driver is told how many) but still written to the workers' log files.",
  }),
  defineConfig({
    name: "dedupLogs",
    type: "boolean",
    default: true,
    doc: "In a driver: a line of worker output printed by several workers within logDedupWindowMs is printed once, then once more with `[repeated N× across cluster]`. Off (LUX_DEDUP_LOGS=0) prints every line.",
  }),
  defineConfig({
    name: "logDedupWindowMs",
    type: "number",
    default: 5000,
    integer: true,
    min: 1,
    doc: "How long after a line of worker output is printed the driver folds the same text from other workers into its `[repeated N× across cluster]` count (see dedupLogs).",
  }),
  defineConfig({
    name: "logFollowIntervalMs",
    type: "number",
    default: 500,
    integer: true,
    min: 10,
    doc: "How often `lux logs --follow` and `lux.state.getLog({ follow: true })` ask the node for lines written since the last ask.",
  }),
] as const;
