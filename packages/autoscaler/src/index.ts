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
export {
  TAG_CLUSTER,
  TAG_NODE_TYPE,
  TAG_NODE_KIND,
  TAG_INSTANCE,
  tagsMatch,
  type NodeProvider,
  type NodeTags,
  type NodeKind,
} from "./node-provider.js";
export { LocalNodeProvider, localNodesDir, type LocalProviderOptions } from "./local-provider.js";
export { workerStartArgs } from "./node-command.js";
