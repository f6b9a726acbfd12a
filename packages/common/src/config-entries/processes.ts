import { defineConfig } from "../config-define.js";

/** Processes: logs, session files, daemon start. */
export const PROCESS_ENTRIES = [
  defineConfig({
    name: "logLevel",
    type: "string",
    default: "info",
    choices: ["debug", "info", "warn", "error"],
    doc: "Lowest level of log lines written (debug, info, warn, error).",
  }),
  defineConfig({
    name: "sessionDirRoot",
    type: "string",
    default: "/tmp/lux",
    doc: "Directory under which each cluster session keeps its sockets, logs and spilled objects.",
  }),
  defineConfig({
    name: "sessionRetention",
    type: "duration",
    default: "7d",
    doc: "Session folders (logs, worker sockets) under sessionDirRoot that no running process uses and that have not changed for this long are removed when a raylet starts. A whole number and a unit: s, m, h or d (\"12h\", \"7d\"); \"0s\" keeps no logs of ended sessions (a folder changed in the last minute is always kept: its session may be starting).",
  }),
  defineConfig({
    name: "daemonStartTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "How long starting a control service or raylet (lux.init, lux start, LocalCluster) waits for it to serve before NodeStartError.",
  }),
  defineConfig({
    name: "gcsAddressWaitMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1,
    doc: "How long the raylet of a private cluster, started alongside its control service, waits for the control service's address.",
  }),
] as const;
