/**
 * What a core worker records for the state API: its tasks' state changes (task events, off
 * when taskEventsReportIntervalMs is 0) and, when recordRefCreationSites is on, where its
 * objects were created. Built once, with the core worker.
 */
import type { Clock, GcsService, RpcCaller } from "@lux/protocol";
import type { ConfigValues } from "@lux/common";
import { CallSites } from "./call-sites.js";
import type { ObjectManager } from "./object-manager.js";
import { TaskEvents } from "./task-events.js";

export { objectRefsReport } from "./object-refs-report.js";

export function observability(deps: {
  gcs: RpcCaller<GcsService>;
  nodeId: string;
  workerId: string;
  clock: Clock;
  config: ConfigValues;
  objects: Pick<ObjectManager, "onFree">;
}): { taskEvents: TaskEvents | undefined; callSites: CallSites | undefined } {
  const { gcs, nodeId, workerId, clock, config } = deps;
  const taskEvents = config.taskEventsReportIntervalMs > 0 ? new TaskEvents({ gcs, nodeId, workerId, pid: process.pid, clock, config }) : undefined;
  const callSites = config.recordRefCreationSites ? new CallSites() : undefined;
  if (callSites !== undefined) deps.objects.onFree((id) => callSites.forget(id));
  return { taskEvents, callSites };
}
