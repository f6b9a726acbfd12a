/**
 * `lux/autoscaler`: the cluster YAML (`parseClusterConfig`, `loadClusterConfig`), the
 * `NodeProvider` interface and its providers (local processes, Kubernetes pods), and the
 * reconciler that scales node types to pending demand. See docs/autoscaler.md.
 *
 * @example
 * ```ts
 * import { loadClusterConfig } from "lux/autoscaler";
 * const config = loadClusterConfig("cluster.yaml");
 * console.log(Object.keys(config.availableNodeTypes));
 * ```
 */
export * from "@lux/autoscaler";
