/** A small client of the control service for tools (`lux status`, LocalCluster): no driver, no job. */
import { AUTOSCALER_STATUS_KEY, rpcPeerOptions, tlsFilesFromConfig, type TlsFiles } from "@lux/common";
import { LISTENERS_KV_NAMESPACE, connectRpc, type DemandEntry, type GcsService, type NodeInfo, type RegisteredListener, type ResourceView, type RpcConnection, type WorkerStateItem } from "@lux/protocol";

/** Internal KV key (no namespace: users' `lux.util.kv` cannot reach it) of the head's HTTP server. */
const DASHBOARD_URL_KEY = "lux:dashboard-url";

export interface ControlServiceClient {
  nodes(): Promise<NodeInfo[]>;
  resources(): Promise<ResourceView>;
  /** Work waiting for resources (queued leases, pending actors), by shape. */
  demand(): Promise<DemandEntry[]>;
  /** The head's HTTP server (dashboard, jobs API), `http://HOST:PORT`, if it runs one. */
  dashboardUrl(): Promise<string | undefined>;
  /** The autoscaler's last report (JSON, see @lux/autoscaler's AutoscalerStatus), if the cluster has one. */
  autoscalerStatus(): Promise<unknown>;
  /** Records the head's HTTP server for `lux status` and `lux job` (in the control service's internal KV). */
  setDashboardUrl(url: string): Promise<void>;
  /** The workers and drivers of every alive node (with the address each one's RPC server listens on). */
  workers(): Promise<WorkerStateItem[]>;
  /** Listeners libraries and applications registered (lux.util.listeners); entries that do not parse are left out. */
  registeredListeners(): Promise<RegisteredListener[]>;
  close(): void;
}

/** Most workers and drivers `workers()` lists. */
const WORKERS_LIMIT = 10_000;

/**
 * Connects to the control service at `address`: rejects if it does not answer within
 * `rpcConnectTimeoutMs`; each call has the deadline `rpcTimeoutMs`. Over TLS with `tls`
 * (default: this process's config, LUX_TLS_*).
 */
export async function connectControlService(address: string, token: string, tls: TlsFiles | undefined = tlsFilesFromConfig()): Promise<ControlServiceClient> {
  const gcs: RpcConnection<GcsService> = await connectRpc<GcsService>(address, rpcPeerOptions(token, undefined, tls));
  return {
    nodes: () => gcs.call("getNodes", {}),
    resources: () => gcs.call("getClusterResources", {}),
    demand: () => gcs.call("getPendingDemand", {}),
    dashboardUrl: async () => {
      const { value } = await gcs.call("kvGet", { key: DASHBOARD_URL_KEY });
      return value === undefined ? undefined : Buffer.from(value).toString("utf8");
    },
    autoscalerStatus: async () => {
      const { value } = await gcs.call("kvGet", { key: AUTOSCALER_STATUS_KEY });
      return value === undefined ? undefined : (JSON.parse(Buffer.from(value).toString("utf8")) as unknown);
    },
    setDashboardUrl: async (url) => {
      await gcs.call("kvPut", { key: DASHBOARD_URL_KEY, value: Buffer.from(url), overwrite: true });
    },
    workers: async () => {
      const page = await gcs.call("listState", { kind: "workers", filters: [], limit: WORKERS_LIMIT, detail: false });
      return page.items as unknown as WorkerStateItem[];
    },
    registeredListeners: async () => {
      const namespace = LISTENERS_KV_NAMESPACE;
      const { keys } = await gcs.call("kvKeys", { prefix: "", namespace });
      const values = await Promise.all(keys.map((key) => gcs.call("kvGet", { key, namespace })));
      return values.flatMap(({ value }) => {
        const entry = parseListener(value);
        return entry === undefined ? [] : [entry];
      });
    },
    close: () => gcs.close(),
  };
}

function parseListener(value: Uint8Array | undefined): RegisteredListener | undefined {
  if (value === undefined) return undefined;
  try {
    const e = JSON.parse(Buffer.from(value).toString("utf8")) as Partial<RegisteredListener>;
    const ok = typeof e.nodeId === "string" && typeof e.what === "string" && typeof e.address === "string" && typeof e.pid === "number";
    return ok ? (e as RegisteredListener) : undefined;
  } catch {
    return undefined;
  }
}
