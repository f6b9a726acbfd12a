/**
 * Every Lux tunable, declared once, grouped by area: one file per area in config-entries/.
 * docs/config.md lists them (a test checks it against these declarations). A default is
 * today's behaviour; the doc says what a larger or smaller value trades.
 */
import { RPC_ENTRIES } from "./config-entries/rpc.js";
import { TASK_ENTRIES } from "./config-entries/tasks.js";
import { OBJECT_ENTRIES } from "./config-entries/objects.js";
import { NODE_ENTRIES } from "./config-entries/nodes.js";
import { CONTROL_SERVICE_ENTRIES } from "./config-entries/control-service.js";
import { PROCESS_ENTRIES } from "./config-entries/processes.js";
import { MEMORY_ENTRIES } from "./config-entries/memory.js";
import { OBSERVABILITY_ENTRIES } from "./config-entries/observability.js";
import { METRICS_ENTRIES } from "./config-entries/metrics.js";
import { LOG_ENTRIES } from "./config-entries/logs.js";
import { HTTP_ENTRIES } from "./config-entries/http.js";
import { TLS_ENTRIES } from "./config-entries/tls.js";

export { RPC_ENTRIES, TASK_ENTRIES, OBJECT_ENTRIES, NODE_ENTRIES, CONTROL_SERVICE_ENTRIES, PROCESS_ENTRIES, MEMORY_ENTRIES, OBSERVABILITY_ENTRIES, METRICS_ENTRIES, LOG_ENTRIES, HTTP_ENTRIES, TLS_ENTRIES };

/** The areas of the registry, in the order docs/config.md lists them. */
export const CONFIG_GROUPS = [
  { title: "RPC", entries: RPC_ENTRIES },
  { title: "Tasks", entries: TASK_ENTRIES },
  { title: "Objects", entries: OBJECT_ENTRIES },
  { title: "Nodes (raylet)", entries: NODE_ENTRIES },
  { title: "Memory monitor", entries: MEMORY_ENTRIES },
  { title: "Control service", entries: CONTROL_SERVICE_ENTRIES },
  { title: "Processes", entries: PROCESS_ENTRIES },
  { title: "Observability", entries: OBSERVABILITY_ENTRIES },
  { title: "Metrics", entries: METRICS_ENTRIES },
  { title: "Logs", entries: LOG_ENTRIES },
  { title: "HTTP (dashboard, jobs API)", entries: HTTP_ENTRIES },
  { title: "TLS", entries: TLS_ENTRIES },
] as const;
