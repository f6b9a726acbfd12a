import * as fs from "node:fs";
import * as path from "node:path";
import type { CoreWorkerService, GcsService, JobInfo, NodeResources, RayletService, ResourceSet, ResourceView, RpcConnection } from "@lux/protocol";
import { ReconnectingConnection, RpcServer, connectRpc } from "@lux/protocol";
import { LuxError, ObjectLostError, config, controlServiceStateLost, createLogger, newNodeId, rpcPeerOptions } from "@lux/common";
import type { ArenaStore } from "@lux/object-store";
import { openArena } from "@lux/object-store";
import { ClusterView } from "./cluster-view.js";
import { LeaseManager, type Requester } from "./lease-manager.js";
import { NodePeers } from "./node-peers.js";
import { PullManager } from "./pull-manager.js";
import { ResourcePool } from "./resources.js";
import { RuntimeEnvManager } from "./runtime-env-manager.js";
import { logDir, socketDir } from "./session-dirs.js";
import { WorkerPool, type EarlyWorker, type PrestartJob } from "./worker-pool.js";

const log = createLogger("raylet");

/** At most one resource report to the control service per this many ms. */
const REPORT_INTERVAL_MS = 50;

export interface RayletOptions {
  address: string;
  gcsAddress: string;
  token: string;
  resources: ResourceSet;
  store: ArenaStore;
  /** "shared-memory" or "file": how this node's processes reach the store. */
  storeKind: string;
  workerMain: string;
  maxIdleWorkersPerJob: number;
  /** The node's session folder: runtime env packages are unpacked under it. */
  sessionDir: string;
}

/** The node daemon: worker pool, lease scheduling, resources and the node's object store. */
export class Raylet {
  readonly nodeId = newNodeId();
  private server: RpcServer<RayletService> | undefined;
  private gcs: ReconnectingConnection<GcsService, RayletService> | undefined;
  /** Which start of the control service we registered with. */
  private gcsIncarnation = "";
  private pool: WorkerPool | undefined;
  private leases: LeaseManager | undefined;
  private readonly resources: ResourcePool;
  private readonly jobs = new Map<string, Promise<JobInfo>>();
  private readonly closeListeners: (() => void)[] = [];
  private readonly workerConnections = new Map<string, RpcConnection<CoreWorkerService>>();
  private readonly clients = new Set<RpcConnection<CoreWorkerService, RayletService>>();
  /** Other nodes' raylets, and the pulls of their objects into this node's store. */
  private readonly nodePeers: NodePeers;
  private pulls: PullManager | undefined;
  /** The cluster resource view, kept current by the control service. */
  readonly view: ClusterView;
  private reportTimer: NodeJS.Timeout | undefined;
  private lastReportMs = 0;

  constructor(private readonly options: RayletOptions) {
    this.resources = new ResourcePool(options.resources);
    this.view = new ClusterView(this.nodeId, () => this.localResources());
    this.resources.onChange = () => this.scheduleReport();
    this.nodePeers = new NodePeers(() => this.gcs, options.token);
    this.runtimeEnvs = new RuntimeEnvManager({
      nodeId: this.nodeId,
      sessionDir: options.sessionDir,
      fetch: async (key) => {
        if (this.gcs === undefined) throw new LuxError("not connected to the control service");
        return (await this.gcs.call("kvGet", { key }, 60_000)).value;
      },
    });
  }

  private localResources(): NodeResources {
    return { nodeId: this.nodeId, address: this.server?.address ?? "", alive: true, ...this.resources.view() };
  }

  /**
   * Tells the control service what is free: at once after a quiet spell, else batched so
   * it hears at most one report per REPORT_INTERVAL_MS.
   */
  private scheduleReport(): void {
    if (this.reportTimer !== undefined) return;
    const wait = this.lastReportMs + REPORT_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.reportTimer = setTimeout(() => this.report(), wait);
    this.reportTimer.unref();
  }

  private report(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.gcs === undefined || this.gcs.state === "closed") return;
    this.lastReportMs = Date.now();
    this.gcs.notify("reportResources", { nodeId: this.nodeId, ...this.resources.view() });
  }

  /**
   * What is free right now, for the control service's getClusterResources (behind
   * lux.availableResources()). A batched report still waiting goes first, on the same
   * connection: the control service then pushes it to every raylet before it answers, so
   * free resources a driver sees are never ahead of the view raylets place work with.
   */
  private currentResources(): ResourceView {
    if (this.reportTimer !== undefined) this.report();
    return this.resources.view();
  }

  get address(): string {
    if (this.server === undefined) throw new LuxError("raylet is not started");
    return this.server.address;
  }

  /** Runs when the control service is lost for good: it did not come back within gcsReconnectWindowMs. */
  onGcsLost(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async start(): Promise<void> {
    const { store } = this.options;
    const handlers: Parameters<typeof RpcServer.listen<RayletService>>[0]["handlers"] = {
      requestLease: (req, conn) => this.leaseManager.request(req, conn as unknown as Requester),
      cancelLeaseRequest: (req) => ({ cancelled: this.leaseManager.cancel(req.requestId) }),
      returnLease: (req) => {
        this.leaseManager.return(req.leaseId, req.disconnect);
        return { ok: true };
      },
      registerWorker: (req, conn) => {
        this.workerConnections.set(req.workerId, conn as unknown as RpcConnection<CoreWorkerService>);
        conn.onClose(() => this.workerConnections.delete(req.workerId));
        conn.peerInfo = { address: req.address };
        if (!this.workerPool.registered(req.workerId, req.address, req.socketPath)) {
          throw new LuxError(`unknown worker ${req.workerId}`);
        }
        return { nodeId: this.nodeId };
      },
      workerBlocked: (req) => {
        this.leaseManager.setBlocked(req.workerId, true);
        return { ok: true };
      },
      workerUnblocked: (req) => {
        this.leaseManager.setBlocked(req.workerId, false);
        return { ok: true };
      },
      killWorker: (req) => {
        const w = this.workerPool.get(req.workerId);
        if (w === undefined) return { killed: false };
        this.workerPool.kill(w, req.reason);
        return { killed: true };
      },
      getWorkerExit: async (req) => {
        const exit = await this.workerPool.exitOf(req.workerId, 2000);
        return exit === undefined ? { known: false } : { known: true, ...exit };
      },
      ping: () => ({ ok: true }),
      getPendingDemand: () => this.leaseManager.demand(),
      getResources: () => this.currentResources(),
      updateClusterView: (req) => {
        this.view.update(req.nodes, req.full);
        // Pulls from a node declared dead fail now instead of waiting on its (maybe hung) connection.
        for (const n of req.nodes) if (!n.alive) this.nodePeers.forget(n.nodeId);
        return { ok: true };
      },
      getStoreInfo: () => ({ path: store.path, capacity: store.capacity, kind: this.options.storeKind }),
      registerClient: (req, conn) => {
        conn.peerInfo = { address: req.address };
        return { nodeId: this.nodeId };
      },
      createObject: async (req, conn) => {
        const loc = req.wait
          ? await store.create(req.objectId, req.size, req.ownerAddress, conn)
          : store.tryCreate(req.objectId, req.size, req.ownerAddress, conn);
        return { offset: loc?.offset ?? -1 };
      },
      sealObject: (req) => {
        store.seal(req.objectId);
        return { ok: true };
      },
      getObject: async (req, conn) => {
        const loc = await store.get(req.objectId, conn);
        return loc ?? { offset: -1, size: 0 };
      },
      releaseObjects: (req, conn) => {
        for (const id of req.objectIds) store.release(id, conn);
        return { ok: true };
      },
      freeObjects: (req) => {
        if (req.nodeId !== undefined && req.nodeId !== this.nodeId) {
          const objectIds = req.objectIds;
          this.nodePeers.get(req.nodeId).then(
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
          await this.pullManager.pull(req.objectId, req.sources, req.ownerAddress, req.priority);
          const loc = await store.get(req.objectId, conn);
          if (loc !== undefined) return loc;
        }
        throw new ObjectLostError({ objectId: req.objectId, cause: new Error("the pulled copy was freed before it could be read") });
      },
      readObjectChunk: async (req) => ({ data: await store.read(req.objectId, req.offset, req.length) }),
      jobFinished: (req) => {
        this.jobs.delete(req.jobId);
        this.workerPool.killJob(req.jobId);
        return { ok: true };
      },
      getNodeInfo: () => {
        const { objects, usedBytes: bytes } = store.stats();
        return {
          nodeId: this.nodeId,
          pid: process.pid,
          workerPids: this.workerPool.all().map((w) => w.process.pid ?? 0),
          objectStore: { objects, bytes },
          transfers: this.pullManager.stats(),
        };
      },
    };
    this.server = await RpcServer.listen<RayletService>({
      ...rpcPeerOptions(this.options.token, log),
      address: this.options.address,
      handlers,
      onConnection: (conn) => {
        this.clients.add(conn);
        conn.onClose(() => {
          this.clients.delete(conn);
          this.leases?.requesterGone(conn as unknown as Requester);
          store.clientGone(conn);
          const address = (conn.peerInfo as { address?: string } | undefined)?.address;
          if (address !== undefined) store.freeOwnedBy(address);
        });
      },
    });
    this.pool = new WorkerPool({
      nodeId: this.nodeId,
      workerMain: this.options.workerMain,
      rayletAddress: this.server.address,
      gcsAddress: this.options.gcsAddress,
      token: this.options.token,
      socketDir: socketDir(this.options.sessionDir),
      logDir: logDir(this.options.sessionDir),
      maxIdlePerJob: this.options.maxIdleWorkersPerJob,
      prepareEnv: (spec) => this.runtimeEnvs.prepare(spec),
      canRetire: async (worker) => {
        const conn = this.workerConnections.get(worker.workerId);
        if (conn === undefined) return true;
        return (await conn.call("canExit", {}, 5000)).ok;
      },
      onWorkerExit: (worker, reason) => {
        this.leases?.workerExited(worker);
        this.gcs?.call("reportWorkerDeath", { workerId: worker.workerId, nodeId: this.nodeId, reason }).catch(() => undefined);
      },
    });
    this.leases = new LeaseManager(this.nodeId, this.resources, this.pool, (jobId) => this.jobInfo(jobId), {
      view: this.view,
      lookupNode: async (nodeId) => {
        const nodes = await this.gcs?.call("getClusterView", {}, 10_000);
        return nodes?.find((n) => n.nodeId === nodeId);
      },
    });
    const registration = {
      nodeId: this.nodeId,
      address: this.server.address,
      resources: this.options.resources,
      storeKind: this.options.storeKind,
      storeCapacity: this.options.store.capacity,
    };
    const windowMs = config("gcsReconnectWindowMs");
    // Lost, the control service is reconnected to (running work goes on meanwhile); the
    // node registers again with the same id and reports what is free, as before.
    this.gcs = await ReconnectingConnection.open<GcsService, RayletService>({
      connect: () => connectRpc<GcsService, RayletService>(this.options.gcsAddress, { ...rpcPeerOptions(this.options.token, log), handlers }),
      windowMs,
      onDisconnect: () => log.warn(`lost the control service at ${this.options.gcsAddress}; reconnecting for up to ${windowMs} ms`),
    });
    this.gcs.onReconnect(async (conn) => {
      await conn.call("registerNode", registration, 30_000);
      conn.notify("reportResources", { nodeId: this.nodeId, ...this.resources.view() });
      const info = await conn.call("getControlServiceInfo", {}, 10_000);
      if (info.incarnation === this.gcsIncarnation) log.info("reconnected to the control service");
      else if (info.persistent) log.info(`reconnected to the restarted control service; it restored its state from ${info.storage}`);
      else log.warn(controlServiceStateLost(this.options.gcsAddress));
      this.gcsIncarnation = info.incarnation;
    });
    this.gcs.onClose(() => {
      for (const l of this.closeListeners) l();
    });
    await this.gcs.call("registerNode", registration);
    this.gcsIncarnation = (await this.gcs.call("getControlServiceInfo", {}, 10_000)).incarnation;
    log.info(`raylet ${this.nodeId.slice(0, 8)} serving on ${this.server.address}`, {
      resources: JSON.stringify(this.options.resources),
    });
  }

  /** Unpacks runtime env packages fetched from the control service, once per node. */
  private readonly runtimeEnvs: RuntimeEnvManager;

  /**
   * Starts workers for a job before its driver's first lease (see WorkerPool.prestart); the
   * first is `early` if one was started before this raylet was up (startEarlyWorker).
   */
  prestartWorkers(job: PrestartJob, count: number, early?: EarlyWorker): void {
    this.workerPool.prestart(job, count, early);
  }

  private get workerPool(): WorkerPool {
    if (this.pool === undefined) throw new LuxError("raylet is not started");
    return this.pool;
  }

  private get pullManager(): PullManager {
    this.pulls ??= new PullManager({
      nodeId: this.nodeId,
      store: this.options.store,
      arena: openArena(this.options.store.path, this.options.store.capacity),
      peer: (nodeId) => this.nodePeers.get(nodeId),
      forget: (nodeId) => this.nodePeers.forget(nodeId),
      chunkBytes: config("objectTransferChunkBytes"),
      maxBytesInFlight: config("objectTransferMaxBytesInFlight"),
      chunksPerPull: config("objectTransferChunksInFlightPerPull"),
    });
    return this.pulls;
  }

  private get leaseManager(): LeaseManager {
    if (this.leases === undefined) throw new LuxError("raylet is not started");
    return this.leases;
  }

  private jobInfo(jobId: string): Promise<JobInfo> {
    let info = this.jobs.get(jobId);
    if (info === undefined) {
      if (this.gcs === undefined) return Promise.reject(new LuxError("not connected to the control service"));
      info = this.gcs.call("getJob", { jobId });
      info.catch(() => this.jobs.delete(jobId));
      this.jobs.set(jobId, info);
    }
    return info;
  }

  /** Asks every process of the node to collect garbage, so refs they dropped free their objects. */
  collectGarbage(): void {
    for (const c of this.clients) c.notify("collectGarbage", {});
  }

  async close(): Promise<void> {
    clearTimeout(this.reportTimer);
    this.view.close();
    this.nodePeers.close();
    await this.pool?.close();
    await this.options.store.close();
    this.gcs?.close();
    await this.server?.close();
  }
}

export type { CoreWorkerService };
