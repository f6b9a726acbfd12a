/** The provider a cluster YAML names, for the control service at `gcsAddress` (`toEndNodes`: only to end them). */
import type { ClusterConfig } from "./cluster-config.js";
import { LocalNodeProvider } from "./local-provider.js";
import type { KubernetesNodeProvider, KubernetesProviderOptions } from "./kubernetes-provider.js";
import type { NodeProvider } from "./node-provider.js";

export function createProvider(config: ClusterConfig, gcsAddress: string, token: string, options: { toEndNodes?: boolean } = {}): Promise<NodeProvider> {
  const p = config.provider;
  switch (p.type) {
    case "local":
      return Promise.resolve(new LocalNodeProvider({ clusterName: config.clusterName, gcsAddress, token, nodeTypes: config.availableNodeTypes }));
    case "kubernetes":
      return createKubernetesProvider({
        clusterName: config.clusterName,
        gcsAddress: p.headAddress ?? gcsAddress,
        token,
        nodeTypes: config.availableNodeTypes,
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
        // `lux down` only ends nodes: no token Secret to make.
        ...(options.toEndNodes === true ? { tokenSecret: false } : {}),
      });
  }
}

/**
 * The kubernetes provider, connected (kubeconfig, or the pod's service account), its token
 * Secret made if missing, the cluster's pods listed and watched. Loaded only when called:
 * @kubernetes/client-node is large.
 */
export async function createKubernetesProvider(options: KubernetesProviderOptions): Promise<KubernetesNodeProvider> {
  const { KubernetesNodeProvider } = await import("./kubernetes-provider.js");
  return KubernetesNodeProvider.create(options);
}
