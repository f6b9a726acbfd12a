/** Errors of the autoscaler: its cluster YAML (`lux up`), and the providers that start its nodes. */
import { defineError } from "@lux/protocol";

/** One problem found in a cluster YAML file: where it is, and what is wrong there. */
export interface ClusterConfigProblem {
  /** Dotted path of the value, e.g. "availableNodeTypes.gpu.maxWorkers" ("" for the whole file). */
  readonly path: string;
  /** 1-based line of the value (or of the key, for an unknown key), when known. */
  readonly line?: number;
  /** What is wrong, e.g. "must be ≥ minWorkers". */
  readonly message: string;
}

/** How a problem reads: `availableNodeTypes.gpu.maxWorkers must be ≥ minWorkers (line 14)`. */
export function describeClusterConfigProblem(p: ClusterConfigProblem): string {
  const where = p.line === undefined ? "" : ` (line ${p.line})`;
  return `${p.path === "" ? "the file" : p.path} ${p.message}${where}`;
}

/**
 * A cluster YAML file (`lux up cluster.yaml`, `lux start --head --autoscaling-config`) is not
 * valid: not YAML, an unknown key, a value of the wrong type, or values that contradict each
 * other. Every problem found is listed, each with its path and line.
 */
export const InvalidClusterConfigError = defineError(
  "LUX_INVALID_CLUSTER_CONFIG",
  "InvalidClusterConfigError",
  (f: {
    /** The file, if the text came from one. */
    readonly file?: string;
    /** Every problem found, in the order of the file. */
    readonly problems: readonly ClusterConfigProblem[];
  }) => {
    const lines = f.problems.map(describeClusterConfigProblem);
    const head = f.file === undefined ? "invalid cluster config" : `invalid cluster config ${f.file}`;
    return `${head}: ${lines.join("; ")}. See the schema in @lux/autoscaler/cluster.schema.json and docs/autoscaler.md.`;
  },
);
export type InvalidClusterConfigError = InstanceType<typeof InvalidClusterConfigError>;

/**
 * A node provider could not do what the autoscaler asked (create, list or delete nodes): the
 * Kubernetes API refused it (403: forbidden or over quota; 422: the pod template is invalid),
 * kept failing after its retries (429, 5xx), or a local node could not be started.
 */
export const NodeProviderError = defineError(
  "LUX_NODE_PROVIDER_FAILED",
  "NodeProviderError",
  (f: {
    /** "local" or "kubernetes". */
    readonly provider: string;
    /** What was asked, e.g. "create pods", "delete pod lux-cpu-x1". */
    readonly operation: string;
    /** The HTTP status of the Kubernetes API's answer, if there was one. */
    readonly status?: number;
    /** What went wrong, and what to do. */
    readonly reason: string;
  }) => `the ${f.provider} node provider could not ${f.operation}${f.status === undefined ? "" : ` (HTTP ${f.status})`}: ${f.reason}`,
);
export type NodeProviderError = InstanceType<typeof NodeProviderError>;
