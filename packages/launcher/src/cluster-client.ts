/** A small client of the control service for tools (`lux status`, LocalCluster): no driver, no job. */
import { rpcPeerOptions } from "@lux/common";
import { connectRpc, type DemandEntry, type GcsService, type NodeInfo, type ResourceView, type RpcConnection } from "@lux/protocol";

export interface ControlServiceClient {
  nodes(): Promise<NodeInfo[]>;
  resources(): Promise<ResourceView>;
  /** Work waiting for resources (queued leases, pending actors), by shape. */
  demand(): Promise<DemandEntry[]>;
  close(): void;
}

/**
 * Connects to the control service at `address`: rejects if it does not answer within
 * `rpcConnectTimeoutMs`; each call has the deadline `rpcTimeoutMs`.
 */
export async function connectControlService(address: string, token: string): Promise<ControlServiceClient> {
  const gcs: RpcConnection<GcsService> = await connectRpc<GcsService>(address, rpcPeerOptions(token));
  return {
    nodes: () => gcs.call("getNodes", {}),
    resources: () => gcs.call("getClusterResources", {}),
    demand: () => gcs.call("getPendingDemand", {}),
    close: () => gcs.close(),
  };
}
