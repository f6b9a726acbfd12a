/**
 * What the reconciler reads from and tells the control service: the cluster view, the
 * nodes' activity, pending demand, `lux.requestResources()`'s standing request, draining a
 * node, and its status for `lux status`. Reconnects when the control service restarted.
 */
import {
  AUTOSCALER_REQUEST_KEY,
  AUTOSCALER_STATUS_KEY,
  rpcPeerOptions,
  type AutoscalerRequest,
} from "@lux/common";
import { connectRpc, type DemandEntry, type DrainReply, type GcsService, type NodeActivity, type NodeResources, type RpcConnection } from "@lux/protocol";
import type { AutoscalerStatus } from "./status.js";

export interface ControlService {
  /** Every node the control service knows, alive or dead, with labels and free resources. */
  view(): Promise<NodeResources[]>;
  activity(): Promise<NodeActivity[]>;
  demand(): Promise<DemandEntry[]>;
  /** The bundles of `lux.requestResources()`, or [] without a request. */
  request(): Promise<Record<string, number>[]>;
  drain(nodeId: string, reason: string): Promise<DrainReply>;
  publish(status: AutoscalerStatus): Promise<void>;
  close(): void;
}

export class GcsControl implements ControlService {
  private conn: RpcConnection<GcsService> | undefined;

  constructor(
    private readonly address: string,
    private readonly token: string,
  ) {}

  private async gcs(): Promise<RpcConnection<GcsService>> {
    if (this.conn === undefined || this.conn.state === "closed") {
      this.conn = await connectRpc<GcsService>(this.address, rpcPeerOptions(this.token));
    }
    return this.conn;
  }

  async view(): Promise<NodeResources[]> {
    return (await this.gcs()).call("getClusterView", {});
  }

  async activity(): Promise<NodeActivity[]> {
    return (await this.gcs()).call("getNodeActivity", {});
  }

  async demand(): Promise<DemandEntry[]> {
    return (await this.gcs()).call("getPendingDemand", {});
  }

  async request(): Promise<Record<string, number>[]> {
    const { value } = await (await this.gcs()).call("kvGet", { key: AUTOSCALER_REQUEST_KEY });
    if (value === undefined) return [];
    try {
      return (JSON.parse(Buffer.from(value).toString("utf8")) as AutoscalerRequest).bundles;
    } catch {
      return [];
    }
  }

  async drain(nodeId: string, reason: string): Promise<DrainReply> {
    // The raylet moves its objects off before it answers: longer than a plain call.
    return (await this.gcs()).call("drainNode", { nodeId, reason }, 120_000);
  }

  async publish(status: AutoscalerStatus): Promise<void> {
    await (await this.gcs()).call("kvPut", { key: AUTOSCALER_STATUS_KEY, value: Buffer.from(JSON.stringify(status)), overwrite: true });
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}
