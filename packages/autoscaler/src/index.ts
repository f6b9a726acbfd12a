/**
 * The autoscaler (`lux/autoscaler`): the cluster YAML, node providers (local processes or
 * Kubernetes pods) and the reconciler that scales node types to pending demand. See
 * docs/autoscaler.md.
 *
 * @example
 * ```ts
 * import { loadClusterConfig } from "lux/autoscaler";
 * const config = loadClusterConfig("cluster.yaml"); // InvalidClusterConfigError names path and line
 * ```
 */
export {
  parseClusterConfig,
  loadClusterConfig,
  clusterSchemaPath,
  CLUSTER_DEFAULTS,
  type ClusterConfig,
  type NodeTypeConfig,
  type ProviderConfig,
} from "./cluster-config.js";
export { parseQuantity, podResources } from "./pod-resources.js";
export { InvalidClusterConfigError, NodeProviderError, type ClusterConfigProblem } from "@lux/common";
export {
  TAG_CLUSTER,
  TAG_NODE_TYPE,
  TAG_NODE_KIND,
  tagsMatch,
  type NodeProvider,
  type NodeTags,
  type NodeKind,
} from "./node-provider.js";
export { LocalNodeProvider, localNodesDir, type LocalProviderOptions } from "./local-provider.js";
export { workerStartArgs } from "./node-command.js";
export { expandDemand, type Demand, type DemandItem, type SpreadGang } from "./demand.js";
export { plan, fits, typeLabels, type Bin, type Plan, type PlanInput } from "./planner.js";
export { Reconciler, type ReconcilerOptions } from "./reconciler.js";
export { GcsControl, type ControlService } from "./control-client.js";
export { InstanceTable, type Instance, type InstanceState, type Failure } from "./instances.js";
export type { AutoscalerStatus, NodeTypeCounts, DemandSummary } from "./status.js";
export { createProvider } from "./providers.js";
export { createKubernetesProvider } from "./providers.js";
export type { KubernetesNodeProvider, KubernetesProviderOptions } from "./kubernetes-provider.js";
