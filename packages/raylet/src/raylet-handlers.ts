import { RayletService, serve, type ConnectionPool, type MetricsReport, type CoreWorkerService, type Handlers, type OutOfMemoryInfo, type ResourceView, type RpcConnection, type ServiceDef, type ServiceHandlers } from "@lux/protocol";
import { LuxError, ObjectLostError, type ConfigValues } from "@lux/common";
import type { ArenaStore } from "@lux/object-store";
import type { BundleReservations } from "./bundle-reservations.js";
import type { ClusterView } from "./cluster-view.js";
import type { LeaseManager, Requester } from "./lease-manager.js";
import { createNodeDrain, nodeActivity, type NodeDrain } from "./node-drain.js";
import { listObjects, listWorkers, type ProcessInfo } from "./node-state.js";
import type { PullManager } from "./pull-manager.js";
import type { TransferServer } from "./transfer-server.js";
import type { BulkListener } from "./bulk-channel.js";
import type { WorkerPool } from "./worker-pool.js";

export type RayletHandlers = Handlers<RayletService, RpcConnection<ServiceDef, RayletService>>;

/** What the raylet's handlers work on. The lease manager, pool and pulls exist once the raylet listens. */
export interface RayletParts {
  nodeId: string;
  /** The node's labels (told to the processes that register here, for their runtime context). */
  labels: Readonly<Record<string, string>>;
  store: ArenaStore;
  /** "shared-memory" or "file": how this node's processes reach the store. */
  storeKind: string;
  view: ClusterView;
  /** This node's part of placement groups. */
  bundles: BundleReservations;
  /** Other nodes' raylets, by node id. */
  nodePeers: ConnectionPool<RayletService>;
  /** Drops the connection to a node and its address (declared dead). */
  forgetNode(nodeId: string): void;
  leases(): LeaseManager;
  workers(): WorkerPool;
  pulls(): PullManager;
  /** What other nodes pull from this one. */
  transfers(): TransferServer;
  /** Chunk channels for other raylets' TLS connections (bulk-channel.ts); undefined without TLS. */
  bulkChannels(): BulkListener | undefined;
  /** Registered workers' connections to this raylet, by worker id. */
  workerConnections: Map<string, RpcConnection<CoreWorkerService>>;
  /** What is free now (a batched report still waiting goes first). */
  currentResources(): ResourceView;
  /** Why the memory monitor killed this worker, if it did. */
  outOfMemoryOf(workerId: string): OutOfMemoryInfo | undefined;
  /** Forgets a finished job and ends its workers. */
  jobFinished(jobId: string): void;
  /** Starts a registered job's workers ahead of its leases (once per job). */
  prestartJob(jobId: string): void;
  /** workerExitWaitMs: how long getWorkerExit waits for a worker's exit to be seen; the deadlines of a drain's calls. */
  config: Pick<ConfigValues, "workerExitWaitMs" | "rpcTimeoutMs" | "rpcBestEffortTimeoutMs">;
  /** The node's registered core workers, for the state API (see node-state.ts). */
  processes(): { connection: RpcConnection<CoreWorkerService>; info: ProcessInfo }[];
  /** Deadline of each process's answer to the state API's listObjectRefs. */
  stateTimeoutMs: number;
  /** Adds what a process of the node reported for the node's metrics. */
  reportMetrics(process: unknown, metrics: MetricsReport["metrics"]): void;
  /** The node's logs: listLogs, readLog, drainWorkerOutput (node-logs.ts). */
  logHandlers: RayletHandlers;
}

/** What a raylet answers to its node's processes, other raylets and the control service. */
export function rayletHandlers(parts: RayletParts): ServiceHandlers<RayletService> {
  return serve(RayletService, { ...leaseHandlers(parts), ...workerHandlers(parts), ...objectHandlers(parts), ...nodeHandlers(parts), ...bundleHandlers(parts), ...parts.logHandlers });
}

/** Leases of workers, asked for by owners. */
function leaseHandlers(parts: RayletParts): RayletHandlers {
  return {
    requestLease: (req, conn) => parts.leases().request(req, conn as unknown as Requester),
    reportBacklog: (req, conn) => {
      parts.leases().reportBacklog(req.requestId, req.backlog, conn as unknown as Requester);
      return { ok: true };
    },
    cancelLeaseRequest: (req) => ({ cancelled: parts.leases().cancel(req.requestId) }),
    returnLease: (req) => {
      parts.leases().return(req.leaseId, req.disconnect, req.workerExiting === true);
      return { ok: true };
    },
    getPendingDemand: () => parts.leases().demand(),
  };
}

/** The node's worker processes and drivers. */
function workerHandlers(parts: RayletParts): RayletHandlers {
  return {
    registerWorker: (req, conn) => {
      parts.workerConnections.set(req.workerId, conn as unknown as RpcConnection<CoreWorkerService>);
      conn.onClose(() => parts.workerConnections.delete(req.workerId));
      conn.peerInfo = { address: req.address, workerId: req.workerId, pid: req.pid } satisfies ProcessInfo;
      if (!parts.workers().registered(req.workerId, req.address, req.socketPath)) {
        throw new LuxError(`unknown worker ${req.workerId}`);
      }
      return { nodeId: parts.nodeId, labels: parts.labels };
    },
    registerClient: (req, conn) => {
      conn.peerInfo = { address: req.address, workerId: req.workerId, pid: req.pid, jobId: req.jobId, driver: true } satisfies ProcessInfo;
      return { nodeId: parts.nodeId, labels: parts.labels };
    },
    workerBlocked: (req) => {
      parts.leases().setBlocked(req.workerId, true);
      return { ok: true };
    },
    workerUnblocked: (req) => {
      parts.leases().setBlocked(req.workerId, false);
      return { ok: true };
    },
    killWorker: (req) => {
      const w = parts.workers().get(req.workerId);
      if (w === undefined) return { killed: false };
      parts.workers().kill(w, req.reason);
      return { killed: true };
    },
    getWorkerExit: async (req) => {
      const exit = await parts.workers().exitOf(req.workerId, parts.config.workerExitWaitMs);
      const outOfMemory = parts.outOfMemoryOf(req.workerId);
      return { known: exit !== undefined, ...exit, ...(outOfMemory !== undefined ? { outOfMemory } : {}) };
    },
    jobFinished: (req) => {
      parts.jobFinished(req.jobId);
      return { ok: true };
    },
    prestartWorkers: (req) => {
      parts.prestartJob(req.jobId);
      return { ok: true };
    },
  };
}

/** The node's object store: creating, reading and freeing objects, and pulling copies from other nodes. */
function objectHandlers(parts: RayletParts): RayletHandlers {
  const { store } = parts;
  return {
    getStoreInfo: () => ({ path: store.path, capacity: store.capacity, kind: parts.storeKind }),
    createObject: async (req, conn) => {
      const loc = req.wait
        ? await store.create(req.objectId, req.size, req.ownerAddress, conn)
        : await store.createSoon(req.objectId, req.size, req.ownerAddress, conn);
      return { offset: loc?.offset ?? -1 };
    },
    sealObject: (req) => {
      // Synchronous puts seal through their helper thread's connection: the owner's free, on
      // its own connection, may have come first and dropped the object (nothing left to seal).
      if (store.has(req.objectId)) store.seal(req.objectId);
      return { ok: true };
    },
    getObject: async (req, conn) => {
      const loc = await store.get(req.objectId, conn);
      return loc ?? { offset: -1, size: 0 };
    },
    releaseObjects: (req, conn) => {
      parts.transfers().release(req.objectIds, conn);
      return { ok: true };
    },
    freeObjects: (req) => {
      if (req.nodeId !== undefined && req.nodeId !== parts.nodeId) {
        const objectIds = req.objectIds;
        parts.nodePeers.get(req.nodeId).then(
          (peer) => peer.notify("freeObjects", { objectIds }),
          () => undefined, // the node is gone, and its copies with it
        );
        return { ok: true };
      }
      for (const id of req.objectIds) store.free(id);
      return { ok: true };
    },
    pullObject: async (req, conn) => {
      // A copy pulled now could be evicted before it is pinned: then pull it again.
      for (let attempt = 0; attempt < 3; attempt++) {
        await parts.pulls().pull(req.objectId, req.sources, req.ownerAddress, req.priority);
        const loc = await store.get(req.objectId, conn);
        if (req.primary === true && loc !== undefined) store.markPrimary(req.objectId);
        if (loc !== undefined) return loc;
      }
      throw new ObjectLostError({ objectId: req.objectId, cause: new Error("the pulled copy was freed before it could be read") });
    },
    openTransfer: (req, conn) => parts.transfers().open(req.objectId, req.puller, conn),
    readObjectChunk: (req, conn) => parts.transfers().read(req.objectId, req.offset, req.length, conn),
    openBulkChannel: (_req, conn) => {
      const bulk = parts.bulkChannels();
      if (bulk === undefined) throw new LuxError("this raylet offers object transfer channels only under TLS");
      return bulk.offer(conn);
    },
  };
}

/** The node itself: liveness, resources, the cluster view and what runs here. */
function nodeHandlers(parts: RayletParts): RayletHandlers {
  let drain: NodeDrain | undefined;
  return {
    ping: () => ({ ok: true }),
    getResources: () => parts.currentResources(),
    updateClusterView: (req) => {
      parts.view.update(req.nodes, req.full);
      // Pulls from a node declared dead fail now instead of waiting on its (maybe hung) connection.
      for (const n of req.nodes) if (!n.alive) parts.forgetNode(n.nodeId);
      return { ok: true };
    },
    getNodeInfo: () => {
      const { objects, usedBytes: bytes } = parts.store.stats();
      return {
        nodeId: parts.nodeId,
        pid: process.pid,
        workerPids: parts.workers().all().map((w) => w.process.pid ?? 0),
        objectStore: { objects, bytes },
        transfers: { ...parts.pulls().stats(), bytesSent: parts.transfers().sent },
      };
    },
    getNodeActivity: () => nodeActivity(parts),
    drainNode: () => (drain ??= createNodeDrain(parts)).drain(),
    listWorkers: () => listWorkers(parts),
    listObjects: () => listObjects(parts, parts.stateTimeoutMs),
    reportMetrics: (req, conn) => {
      parts.reportMetrics(conn, req.metrics);
      return { ok: true };
    },
  };
}

/** Placement groups' bundles, reserved in two phases by the control service. */
function bundleHandlers(parts: RayletParts): RayletHandlers {
  return {
    prepareBundles: (req) => ({ prepared: parts.bundles.prepare(req.placementGroupId, req.bundles) }),
    commitBundles: (req) => {
      if (!parts.bundles.commit(req.placementGroupId)) throw new LuxError(`placement group ${req.placementGroupId} has no prepared bundles on node ${parts.nodeId}`);
      parts.leases().resourcesAdded();
      return { ok: true };
    },
    returnBundles: (req) => {
      parts.bundles.release(req.placementGroupId, req.bundleIndexes);
      if (req.removed === true) parts.leases().placementGroupRemoved(req.placementGroupId);
      return { ok: true };
    },
  };
}
