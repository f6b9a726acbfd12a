/** The autoscaler's report, published to the control service after each reconcile and shown by `lux status`. */
import type { ResourceSet } from "@lux/protocol";
import type { Failure, InstanceState } from "./instances.js";

export interface NodeTypeCounts {
  running: number;
  /** Launching: QUEUED, REQUESTED or ALLOCATED. */
  pending: number;
  /** Launches that failed, of those kept in recentFailures. */
  failed: number;
  terminating: number;
  minWorkers: number;
  maxWorkers: number;
  /** Not launched until then (epoch ms), after failures in a row. */
  backoffUntilMs?: number;
}

export interface DemandSummary {
  resources: ResourceSet;
  count: number;
  kind: string;
  labelSelector?: Record<string, string>;
  strategy?: string;
}

export interface AutoscalerStatus {
  clusterName: string;
  pid: number;
  startedAtMs: number;
  /** Reconcile passes this process made. */
  passes: number;
  /** When the last reconcile ended (epoch ms). */
  lastReconcileAtMs: number;
  reconcileIntervalMs: number;
  idleTimeoutS: number;
  nodeTypes: Record<string, NodeTypeCounts>;
  /** Work waiting for resources, as the control service reported it. */
  pendingDemand: DemandSummary[];
  /** Demand no node type can ever hold: nothing is launched for it. */
  infeasible: DemandSummary[];
  /** Demand a type could hold, held back by maxWorkers, upscalingSpeed or a backoff. */
  waiting: DemandSummary[];
  /** The standing request of lux.requestResources() (bundles). */
  requested: ResourceSet[];
  recentFailures: readonly Failure[];
  instances: { id: string; nodeType: string; state: InstanceState; nodeId?: string }[];
  /** The last reconcile's error, if it failed (it is tried again next interval). */
  lastError?: string;
}
