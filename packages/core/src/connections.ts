import { CoreWorkerService, serve, type ConnectOptions, type ConnectionPool, type RayletService, type RpcConnection } from "@lux/protocol";
import type { Logger } from "@lux/common";

/** A connection to another core worker (an owner, a borrower, a leased worker, an actor). */
export type PeerConnection = RpcConnection<CoreWorkerService, CoreWorkerService>;
/** Connections to other core workers, by address (TCP, or a Unix socket on this node). */
export type PeerPool = ConnectionPool<CoreWorkerService, CoreWorkerService>;
/** A connection to a raylet, this node's or another's. */
export type RayletConnection = RpcConnection<RayletService, CoreWorkerService>;
/** Connections to the raylets of other nodes that leases spilled back to, by address. */
export type RayletPool = ConnectionPool<RayletService, CoreWorkerService>;

/** How this process connects to other nodes' raylets: a remote raylet only warns it (e.g. of a request no node can run). */
export function remoteRayletOptions(connect: ConnectOptions<CoreWorkerService>, log: Logger): ConnectOptions<CoreWorkerService> {
  return {
    ...connect,
    handlers: serve(CoreWorkerService, {
      logWarning: (req) => {
        log.warn(req.message);
        return { ok: true };
      },
    }),
  };
}
