/**
 * A worker pod from its node type: the type's `nodeConfig` pod template, labelled with the
 * cluster, the node type and the node kind, its first container given the `lux start --address
 * … --block` command (the type's resources and labels as flags, binding the pod's IP), the
 * cluster token from the Secret `<clusterName>-lux-token` by secretKeyRef (never a literal),
 * and the pod's name as the node's instance id. Pods are not restarted: a node that fails is
 * replaced by the autoscaler.
 */
import type { V1Container, V1EnvVar, V1Pod } from "@kubernetes/client-node";
import type { NodeTypeConfig } from "./cluster-config.js";
import { workerStartArgs } from "./node-command.js";
import { TAG_CLUSTER, TAG_NODE_KIND, TAG_NODE_TYPE, type NodeTags } from "./node-provider.js";

/** The Secret holding the cluster token (key `token`). */
export function tokenSecretName(clusterName: string): string {
  return `${clusterName}-lux-token`;
}

export const TOKEN_SECRET_KEY = "token";

/** The env the provider adds to the node's container. */
function nodeEnv(clusterName: string, name: string, type: NodeTypeConfig): V1EnvVar[] {
  return [
    { name: "LUX_TOKEN", valueFrom: { secretKeyRef: { name: tokenSecretName(clusterName), key: TOKEN_SECRET_KEY } } },
    { name: "LUX_INSTANCE_ID", value: name },
    { name: "LUX_NODE_TYPE", value: type.name },
    { name: "LUX_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
  ];
}

export function workerPod(o: { clusterName: string; name: string; type: NodeTypeConfig; gcsAddress: string; tags: NodeTags }): V1Pod {
  const template = structuredClone(o.type.nodeConfig) as V1Pod;
  const [first, ...others] = template.spec?.containers ?? [];
  const own = new Set(["LUX_TOKEN", "LUX_INSTANCE_ID", "LUX_NODE_TYPE", "LUX_POD_IP"]);
  const container: V1Container = {
    ...(first as V1Container),
    name: first?.name ?? "lux",
    command: ["lux"],
    args: workerStartArgs(o.type, o.gcsAddress, ["--node-ip-address", "$(LUX_POD_IP)"]),
    env: [...(first?.env ?? []).filter((e) => !own.has(e.name)), ...nodeEnv(o.clusterName, o.name, o.type)],
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...template.metadata,
      name: o.name,
      labels: { ...template.metadata?.labels, ...o.tags, [TAG_CLUSTER]: o.clusterName, [TAG_NODE_TYPE]: o.type.name, [TAG_NODE_KIND]: o.tags[TAG_NODE_KIND] ?? "worker" },
    },
    spec: { restartPolicy: "Never", ...template.spec, containers: [container, ...others] },
  };
}
