/** The provider a cluster YAML names. */
import { NodeProviderError } from "@lux/common";
import type { ClusterConfig } from "./cluster-config.js";
import { LocalNodeProvider } from "./local-provider.js";
import type { NodeProvider } from "./node-provider.js";

export function createProvider(config: ClusterConfig, gcsAddress: string, token: string): Promise<NodeProvider> {
  const p = config.provider;
  switch (p.type) {
    case "local":
      return Promise.resolve(new LocalNodeProvider({ clusterName: config.clusterName, gcsAddress, token, nodeTypes: config.availableNodeTypes }));
    case "kubernetes":
      return Promise.reject(new NodeProviderError({ provider: "kubernetes", operation: "start", reason: "the kubernetes provider is not built yet" }));
  }
}
