/**
 * What lux.util.collective needs from this process's core worker to link processes directly:
 * where this process runs (node, host), and RPC servers and connections authenticated with the
 * cluster's token like Lux's own links, without handing the token out.
 */
import { NotInitializedError } from "@lux/common";
import { RpcServer, connectRpc, type RpcConnection, type ServedHandlers, type ServiceDef } from "@lux/protocol";
import { currentCoreWorker } from "./api.js";
import { peerOptionsOf } from "./core-worker-start.js";

/** This process as a peer of other processes of the cluster. */
export interface ClusterPeer {
  /** The core worker this peer belongs to: another object after lux.shutdown() and init() again. */
  readonly identity: object;
  readonly nodeId: string;
  readonly workerId: string;
  /** The address of this process's node: what its own RPC server listens on. */
  readonly host: string;
  /** The cluster's deadline for opening a connection (config rpcConnectTimeoutMs). */
  readonly connectTimeoutMs: number;
  /**
   * Listens on this node's address (a port of the system's choosing) for connections that
   * present the cluster's token; the listener does not keep the process alive.
   */
  listen<L extends ServiceDef>(handlers: ServedHandlers<L>): Promise<RpcServer<L>>;
  /**
   * Connects to a server opened by `listen` in another process (the cluster's token, connect
   * deadline `timeoutMs`). With `bulkReads`, the connection is read through one reused buffer
   * of the process (for one that receives large payloads: no fresh buffer per read).
   */
  connect<R extends ServiceDef, L extends ServiceDef>(address: string, timeoutMs: number, handlers?: ServedHandlers<L>, options?: { bulkReads?: boolean }): Promise<RpcConnection<R, L>>;
  /** Runs `hook` when this process's core worker closes (lux.shutdown()). */
  onClose(hook: () => Promise<void> | void): void;
}

/** This process as a peer; NotInitializedError (naming `operation`) before lux.init(). */
export function clusterPeer(operation: string): ClusterPeer {
  const core = currentCoreWorker();
  if (core === undefined) throw new NotInitializedError({ operation });
  const peerOptions = peerOptionsOf(core.options);
  const host = core.address.slice(0, core.address.lastIndexOf(":"));
  return {
    identity: core,
    nodeId: core.nodeId,
    workerId: core.options.workerId,
    host,
    connectTimeoutMs: peerOptions.connectTimeoutMs,
    async listen<L extends ServiceDef>(handlers: ServedHandlers<L>): Promise<RpcServer<L>> {
      const server = await RpcServer.listen<L>({ ...peerOptions, address: `${host}:0`, handlers });
      server.setWeak();
      return server;
    },
    connect<R extends ServiceDef, L extends ServiceDef>(address: string, timeoutMs: number, handlers?: ServedHandlers<L>, options?: { bulkReads?: boolean }): Promise<RpcConnection<R, L>> {
      return connectRpc<R, L>(address, {
        ...peerOptions,
        connectTimeoutMs: timeoutMs,
        weak: true,
        ...(handlers !== undefined ? { handlers } : {}),
        ...(options?.bulkReads === true ? { bulkReads: true } : {}),
      });
    },
    onClose: (hook) => core.onClose(hook),
  };
}
