/**
 * What a core worker tells the state API: its tasks' state changes (task events, off when
 * taskEventsReportIntervalMs is 0) and, when recordRefCreationSites is on, where its objects
 * were created. Built once, with the core worker; TaskResults holds it (`observed`).
 */
import { type Clock, type GcsService, type RpcCaller } from "@lux/protocol";
import { returnIdsOf, type ConfigValues } from "@lux/common";
import { CallSites } from "./call-sites.js";
import type { ObjectManager } from "./object-manager.js";
import { TaskEvents } from "./task-events.js";
import type { TaskRecord } from "./task-record.js";

export interface ObservabilityDeps {
  gcs: RpcCaller<GcsService>;
  nodeId: string;
  workerId: string;
  clock: Clock;
  config: ConfigValues;
  objects: Pick<ObjectManager, "onFree">;
}

export class Observability {
  /** Undefined when taskEventsReportIntervalMs is 0. */
  readonly taskEvents: TaskEvents | undefined;
  /** Undefined unless recordRefCreationSites is on. */
  readonly callSites: CallSites | undefined;

  constructor(deps: ObservabilityDeps) {
    const { gcs, nodeId, workerId, clock, config } = deps;
    this.taskEvents = config.taskEventsReportIntervalMs > 0 ? new TaskEvents({ gcs, nodeId, workerId, pid: process.pid, clock, config }) : undefined;
    const sites = config.recordRefCreationSites ? new CallSites() : undefined;
    if (sites !== undefined) deps.objects.onFree((id) => sites.forget(id));
    this.callSites = sites;
  }

  /** A task (or actor call) was submitted: it waits for its arguments, or for a worker. */
  submitted(record: TaskRecord): void {
    this.taskEvents?.submitted(record);
    this.callSites?.record(returnIdsOf(record.spec.taskId, record.spec.numReturns));
  }

  /** Sends the task events left (see TaskEvents.close). */
  async close(): Promise<void> {
    await this.taskEvents?.close();
  }
}

/** What the state API is told by a core worker built with `deps`' config. */
export function observability(deps: ObservabilityDeps): Observability {
  return new Observability(deps);
}
