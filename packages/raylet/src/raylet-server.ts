import * as os from "node:os";
import type {
  Clock,
  CoreWorkerService,
  Dial,
  GcsService,
  NodeResources,
  PeerOptions,
  RayletService,
  ResourceSet,
  ResourceView,
  RpcConnection,
  ServiceHandlers,
  TimerHandle,
} from "@lux/protocol";
import { ConnectionPool, ReconnectingConnection, RpcServer, connectRpc, systemClock } from "@lux/protocol";
import { LuxError, NODE_ID_LABEL, controlServiceStateLost, placementGroupRemoved, createLogger, newNodeId, rpcPeerOptions, tlsFilesOf, warnIfExposed } from "@lux/common";
import type { ConfigValues, TlsFiles } from "@lux/common";
import type { ArenaStore } from "@lux/object-store";
import { ClusterView } from "./cluster-view.js";
import { LeaseManager, type Requester } from "./lease-manager.js";
import { NodeAddresses } from "./node-addresses.js";
import { NodeMemory } from "./node-memory.js";
import { JobInfos } from "./job-infos.js";
import { NodeLogs, type NodeLogsOptions } from "./node-logs.js";
import { registeredProcesses } from "./node-state.js";
import { nodeTransfers, type NodeTransfers } from "./node-transfers.js";
import { BundleReservations } from "./bundle-reservations.js";
import { rayletHandlers, type RayletParts } from "./raylet-handlers.js";
import { ResourcePool } from "./resources.js";
import { nodeNpmEnvs, type NpmEnvs } from "./npm-envs.js";
import { RuntimeEnvManager } from "./runtime-env-manager.js";
import { logDir, socketDir } from "./session-dirs.js";
import { MetricsEndpoint } from "./metrics-endpoint.js";
import { WorkerLiveness } from "./worker-liveness.js";
import { WorkerPool, type EarlyWorker, type PrestartJob } from "./worker-pool.js";

const log = createLogger("raylet");
/** What other raylets may send on their connections to this one beyond a chunk's raw bytes (their small replies). */
const CHUNK_FRAME_SLACK_BYTES = 64 * 1024;

export interface RayletOptions {
  address: string;
  gcsAddress: string;
  token: string;
  resources: ResourceSet;
  /** The GPU device ids behind `resources.GPU` (default 0 .. GPU-1). */
  gpuIds?: readonly number[];
  /** The node's labels, besides `lux.io/node-id` (the raylet adds it). */
  labels?: Readonly<Record<string, string>>;
  store: ArenaStore;
  /** "shared-memory" or "file": how this node's processes reach the store. */
  storeKind: string;
  workerMain: string;
  maxIdleWorkersPerJob: number;
  /** The node's session folder: runtime env packages are unpacked under it. */
  sessionDir: string;
  /** How outbound connections reach their peers (default: TCP or Unix sockets). */
  dial?: Dial;
  /** Times leases, reservations, reports and worker timeouts (default: the system clock). */
  clock?: Clock;
  /** The tunables of the raylet and its parts (the raylet's main reads them once). */
  config: ConfigValues;
  /** `--memory-capacity`: the memory monitor counts the node's own processes against this many bytes (default: the machine's memory). */
  memoryCapacity?: number | undefined;
  /** The workers' output (made before the raylet, so a worker started with it is read from its first line). */
  outputs: NodeLogsOptions["outputs"];
  /** The name of the raylet's own log file in the session's logs folder. */
  logFile?: string | undefined;
}

/** The node daemon: worker pool, lease scheduling, resources and the node's object store. */
export class Raylet {
  readonly nodeId = newNodeId();
  /** The node's labels, the built-in ones included. */
  readonly labels: Readonly<Record<string, string>>;
  private server: RpcServer<RayletService> | undefined;
  private gcs: ReconnectingConnection<GcsService, RayletService> | undefined;
  /** Which start of the control service we registered with. */
  private gcsIncarnation = "";
  private pool: WorkerPool | undefined;
  private leases: LeaseManager | undefined;
  private liveness: WorkerLiveness | undefined;
  /** The memory monitor: kills a worker when the node runs out of memory. */
  private memory: NodeMemory | undefined;
  /** The node's memory is above its threshold: it takes no new leases. */
  private memoryPressure = false;
  private readonly resources: ResourcePool;
  /** This node's part of placement groups. */
  private readonly bundles: BundleReservations;
  private readonly jobs = new JobInfos(() => this.gcs);
  /** Jobs whose workers were started ahead (at most once each). */
  private readonly prestartedJobs = new Set<string>();
  private readonly closeListeners: (() => void)[] = [];
  private closing = false;
  private readonly workerConnections = new Map<string, RpcConnection<CoreWorkerService>>();
  private readonly clients = new Set<RpcConnection<CoreWorkerService, RayletService>>();
  /** Other nodes' raylets (by node id, at the address the control service gives), and the pulls of their objects into this node's store. */
  private readonly nodePeers: ConnectionPool<RayletService>;
  private readonly nodeAddresses: NodeAddresses;
  private nodeTransfers: NodeTransfers | undefined;
  /** The cluster resource view, kept current by the control service. */
  readonly view: ClusterView;
  private reportTimer: TimerHandle | undefined;
  private lastReportMs = 0;
  private readonly clock: Clock;
  /** Options of every connection the raylet opens or accepts. */
  private readonly peerOptions: PeerOptions;
  /** The node's TLS files (config tlsCert, tlsKey, tlsCa); undefined: plaintext. */
  private readonly tls: TlsFiles | undefined;
  /** The node's Prometheus metrics (`/metrics`) and what its processes report for them. */
  private readonly metrics: MetricsEndpoint;
  /** The node's log files, and its workers' output on its way to their drivers. */
  private readonly logs: NodeLogs;

  constructor(private readonly options: RayletOptions) {
    this.clock = options.clock ?? systemClock;
    this.tls = tlsFilesOf(options.config);
    this.peerOptions = { ...rpcPeerOptions(options.token, log, this.tls), ...(options.dial !== undefined ? { dial: options.dial } : {}), clock: this.clock };
    this.resources = new ResourcePool(options.resources, options.gpuIds);
    this.labels = { ...options.labels, [NODE_ID_LABEL]: this.nodeId };
    this.bundles = new BundleReservations(this.resources, this.clock, options.config.bundlePrepareTimeoutMs);
    this.view = new ClusterView({
      localId: this.nodeId,
      local: () => this.localResources(),
      clock: this.clock,
      reservationLapseMs: options.config.spillbackReservationLapseMs,
    });
    this.resources.onChange = () => this.scheduleReport();
    const { metricsPort: port, metricsPublic, rpcHandshakeTimeoutMs: handshakeTimeoutMs } = options.config;
    this.metrics = new MetricsEndpoint({ port, public: metricsPublic, token: options.token, sessionDir: options.sessionDir, clock: this.clock, tls: this.tls, handshakeTimeoutMs });
    this.nodeAddresses = new NodeAddresses(() => this.gcs);
    // Other raylets answer this pool with object chunks (raw, behind small frames) and small
    // replies: a chunk has the chunks' own limit, not the control messages', and is read
    // through one reused buffer straight into the arena (bulkReads).
    this.nodePeers = new ConnectionPool<RayletService>({
      ...this.peerOptions,
      maxFrameBytes: options.config.objectTransferChunkBytes + CHUNK_FRAME_SLACK_BYTES,
      bulkReads: true,
      address: (nodeId) => this.nodeAddresses.of(nodeId),
    });
    this.npmEnvs = nodeNpmEnvs(this.nodeId, options.config, this.clock);
    const logs = { logDir: logDir(options.sessionDir), ownLog: options.logFile, outputs: options.outputs, job: (jobId: string) => this.jobs.get(jobId) };
    this.logs = new NodeLogs({ nodeId: this.nodeId, ...logs, peerOptions: this.peerOptions, clock: this.clock, config: options.config });
    this.runtimeEnvs = new RuntimeEnvManager({
      nodeId: this.nodeId,
      sessionDir: options.sessionDir,
      npm: this.npmEnvs,
      setupTimeoutMs: options.config.runtimeEnvSetupTimeoutMs,
      fetch: async (key) => {
        if (this.gcs === undefined) throw new LuxError("not connected to the control service");
        return (await this.gcs.call("kvGet", { key }, options.config.runtimeEnvPackageTimeoutMs)).value;
      },
    });
  }

  private localResources(): NodeResources {
    const local: NodeResources = { nodeId: this.nodeId, address: this.server?.address ?? "", alive: true, labels: this.labels, ...this.resources.view() };
    if (this.memoryPressure) local.memoryPressure = true;
    return local;
  }

  private pressureField(): { memoryPressure?: true } {
    return this.memoryPressure ? { memoryPressure: true } : {};
  }

  /**
   * Tells the control service what is free: at once after a quiet spell, else batched so
   * it hears at most one report per resourceReportIntervalMs.
   */
  private scheduleReport(): void {
    if (this.reportTimer !== undefined) return;
    const wait = this.lastReportMs + this.options.config.resourceReportIntervalMs - this.clock.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.reportTimer = this.clock.setTimeout(() => this.report(), wait).unref();
  }

  private report(): void {
    this.reportTimer?.cancel();
    this.reportTimer = undefined;
    if (this.gcs === undefined || this.gcs.state === "closed") return;
    this.lastReportMs = this.clock.now();
    this.gcs.notify("reportResources", { nodeId: this.nodeId, ...this.resources.view(), ...this.pressureField() });
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

  /** Listens, makes the worker pool and the lease manager, then registers with the control service. */
  async start(): Promise<void> {
    const handlers = rayletHandlers(this.parts());
    const latencies = handlers.measure();
    this.server = await this.listen(handlers);
    warnIfExposed(log, "the raylet (RPC and object transfer)", this.server.address, this.tls !== undefined);
    this.pool = this.createWorkerPool(this.server.address);
    const metricsAddress = await this.metrics.start(this.server.address, { nodeId: this.nodeId, resources: this.resources, store: this.options.store, pool: this.pool, clients: this.clients, latencies });
    this.leases = new LeaseManager({
      nodeId: this.nodeId,
      labels: this.labels,
      resources: this.resources,
      pool: this.pool,
      jobInfo: (jobId) => this.jobs.get(jobId),
      view: this.view,
      lookupNode: async (nodeId) => {
        const nodes = await this.gcs?.call("getClusterView", {});
        return nodes?.find((n) => n.nodeId === nodeId);
      },
      bundles: this.bundles,
      placementGroupRemoved: async (placementGroupId) => this.gcs !== undefined && placementGroupRemoved(this.gcs, placementGroupId),
      clock: this.clock,
      config: this.options.config,
    });
    // Under TLS, other raylets read chunks from the port of transfers.bulk (bulk-channel.ts).
    await this.connectControlService(handlers, this.server.address, metricsAddress, await this.transfers.bulk?.start());
    this.liveness = this.watchLiveness(this.pool);
    this.memory = this.watchMemory(this.pool, this.leases);
    log.info(`raylet ${this.nodeId.slice(0, 8)} serving on ${this.server.address}`, {
      resources: JSON.stringify(this.options.resources),
      labels: JSON.stringify(this.labels),
    });
  }

  /** What the RPC handlers work on (see raylet-handlers.ts). */
  private parts(): RayletParts {
    return {
      nodeId: this.nodeId,
      labels: this.labels,
      store: this.options.store,
      storeKind: this.options.storeKind,
      view: this.view,
      bundles: this.bundles,
      nodePeers: this.nodePeers,
      forgetNode: (nodeId) => this.forgetNode(nodeId),
      leases: () => this.leaseManager,
      workers: () => this.workerPool,
      pulls: () => this.transfers.pulls,
      transfers: () => this.transfers.server,
      bulkChannels: () => this.transfers.bulk,
      workerConnections: this.workerConnections,
      currentResources: () => this.currentResources(),
      outOfMemoryOf: (workerId) => this.memory?.killOf(workerId),
      jobFinished: (jobId) => {
        this.logs.jobEnded(jobId);
        this.leases?.jobFinished(jobId);
        this.jobs.forget(jobId);
        this.prestartedJobs.delete(jobId);
        this.workerPool.killJob(jobId);
      },
      prestartJob: (jobId) => {
        if (this.prestartedJobs.has(jobId)) return;
        this.prestartedJobs.add(jobId);
        this.jobs.get(jobId).then(
          (job) => this.workerPool.prestart(job, this.prestartCount()),
          (e: unknown) => log.warn(`cannot start workers ahead for job ${jobId}: ${(e as Error).message}`),
        );
      },
      config: this.options.config,
      processes: () => registeredProcesses(this.clients),
      reportMetrics: (conn, metrics) => this.metrics.reported.add(conn, metrics),
      // Within the control service's deadline for this node's answer.
      stateTimeoutMs: Math.max(1, Math.floor(this.options.config.rpcBestEffortTimeoutMs / 2)),
      logHandlers: this.logs.handlers(this.nodeId),
    };
  }

  /** The node's RPC server; a process that goes away loses its lease requests, pins and owned objects. */
  private listen(handlers: ServiceHandlers<RayletService>): Promise<RpcServer<RayletService>> {
    const { store } = this.options;
    return RpcServer.listen<RayletService>({
      ...this.peerOptions,
      address: this.options.address,
      handlers,
      onConnection: (conn) => {
        this.clients.add(conn);
        conn.onClose(() => {
          this.clients.delete(conn);
          this.leases?.requesterGone(conn as unknown as Requester);
          store.clientGone(conn);
          this.nodeTransfers?.server.connectionGone(conn);
          this.metrics.reported.processGone(conn);
          const address = (conn.peerInfo as { address?: string } | undefined)?.address;
          if (address !== undefined) store.freeOwnedBy(address);
        });
      },
    });
  }

  private createWorkerPool(rayletAddress: string): WorkerPool {
    return new WorkerPool({
      nodeId: this.nodeId,
      workerMain: this.options.workerMain,
      rayletAddress,
      gcsAddress: this.options.gcsAddress,
      token: this.options.token,
      socketDir: socketDir(this.options.sessionDir),
      outputs: this.options.outputs,
      maxIdlePerJob: this.options.maxIdleWorkersPerJob,
      reserveWindowMs: this.options.config.workerReserveWindowMs,
      idleKeepMs: this.options.config.idleWorkerKeepMs,
      startConcurrency: this.options.config.maxConcurrentWorkerStarts || os.availableParallelism(),
      startTimeoutMs: this.options.config.workerStartTimeoutMs,
      reapIntervalMs: this.options.config.workerReapIntervalMs,
      prepareEnv: (spec) => this.runtimeEnvs.prepare(spec),
      clock: this.clock,
      canRetire: async (worker) => {
        const conn = this.workerConnections.get(worker.workerId);
        if (conn === undefined) return true;
        return (await conn.call("canExit", {}, this.options.config.rpcBestEffortTimeoutMs)).ok;
      },
      onWorkerExit: (worker, reason) => {
        this.leases?.workerExited(worker);
        const death = this.memory?.deathReport(worker.workerId, reason) ?? { reason };
        this.gcs?.call("reportWorkerDeath", { workerId: worker.workerId, nodeId: this.nodeId, ...death }).catch(() => undefined);
      },
    });
  }

  /** Marks workers that stop making progress unresponsive (no new leases) and tells the control service. */
  private watchLiveness(pool: WorkerPool): WorkerLiveness {
    const liveness = new WorkerLiveness({
      connections: this.workerConnections,
      worker: (workerId) => pool.get(workerId),
      report: (workerId, responsive) => {
        this.gcs?.call("reportWorkerLiveness", { workerId, nodeId: this.nodeId, responsive }).catch(() => undefined);
      },
      clock: this.clock,
      intervalMs: this.options.config.workerLivenessProbeIntervalMs,
      timeoutMs: this.options.config.workerLivenessTimeoutMs,
    });
    liveness.start();
    return liveness;
  }

  /** Starts the memory monitor: above its threshold the node refuses leases and kills one worker at a time. */
  private watchMemory(pool: WorkerPool, leases: LeaseManager): NodeMemory {
    const memory = new NodeMemory({
      nodeId: this.nodeId,
      address: () => this.address,
      capacity: this.options.memoryCapacity,
      pool,
      leases: () => leases.granted(),
      reportActorKill: async (workerId, reason, outOfMemory) => {
        const death = { workerId, nodeId: this.nodeId, reason, outOfMemory };
        await this.gcs?.call("reportWorkerDeath", death, this.options.config.rpcBestEffortTimeoutMs).catch(() => undefined);
      },
      pressure: (above) => {
        this.memoryPressure = above;
        leases.setMemoryPressure(above);
        this.scheduleReport();
      },
      clock: this.clock,
      config: this.options.config,
    });
    memory.start();
    return memory;
  }

  /**
   * Registers the node with the control service. Lost, the control service is reconnected
   * to (running work goes on meanwhile); the node registers again with the same id and
   * reports what is free, as before.
   */
  private async connectControlService(handlers: ServiceHandlers<RayletService>, address: string, metricsAddress: string, transferAddress: string | undefined): Promise<void> {
    const { resources, storeKind, store } = this.options;
    const transfer = transferAddress !== undefined ? { transferAddress } : {};
    const registration = { nodeId: this.nodeId, address, metricsAddress, ...transfer, resources, storeKind, storeCapacity: store.capacity, labels: this.labels };
    const windowMs = this.options.config.gcsReconnectWindowMs;
    const gcs = await ReconnectingConnection.open<GcsService, RayletService>({
      connect: () => connectRpc<GcsService, RayletService>(this.options.gcsAddress, { ...this.peerOptions, handlers }),
      windowMs,
      initialDelayMs: this.options.config.rpcReconnectInitialDelayMs,
      maxDelayMs: this.options.config.rpcReconnectMaxDelayMs,
      clock: this.clock,
      onDisconnect: () => log.warn(`lost the control service at ${this.options.gcsAddress}; reconnecting for up to ${windowMs} ms`),
    });
    this.gcs = gcs;
    gcs.onReconnect(async (conn) => {
      await conn.call("registerNode", registration, this.options.config.rpcRegisterTimeoutMs);
      conn.notify("reportResources", { nodeId: this.nodeId, ...this.resources.view(), ...this.pressureField() });
      const info = await conn.call("getControlServiceInfo", {});
      if (info.incarnation === this.gcsIncarnation) log.info("reconnected to the control service");
      else if (info.persistent) log.info(`reconnected to the restarted control service; it restored its state from ${info.storage}`);
      else log.warn(controlServiceStateLost(this.options.gcsAddress));
      this.gcsIncarnation = info.incarnation;
    });
    gcs.onClose(() => {
      if (this.closing) return; // our own close, not a lost control service
      for (const l of this.closeListeners) l();
    });
    await gcs.call("registerNode", registration);
    this.gcsIncarnation = (await gcs.call("getControlServiceInfo", {})).incarnation;
  }

  /** Unpacks runtime env packages fetched from the control service, once per node. */
  private readonly runtimeEnvs: RuntimeEnvManager;
  private readonly npmEnvs: NpmEnvs;

  /**
   * Starts workers for a job before its driver's first lease (see WorkerPool.prestart); the
   * first is `early` if one was started before this raylet was up (startEarlyWorker).
   */
  prestartWorkers(job: PrestartJob, early?: EarlyWorker): void {
    this.prestartedJobs.add(job.jobId);
    this.workerPool.prestart(job, Math.max(this.prestartCount(), early !== undefined ? 1 : 0), early);
  }

  /** One worker per whole CPU of the node, up to config workerPrestartLimit. */
  private prestartCount(): number {
    return Math.min(Math.floor(this.options.resources["CPU"] ?? 0), this.options.config.workerPrestartLimit);
  }

  private get workerPool(): WorkerPool {
    if (this.pool === undefined) throw new LuxError("raylet is not started");
    return this.pool;
  }

  /** The node's object transfers, made on first use. */
  private get transfers(): NodeTransfers {
    return (this.nodeTransfers ??= nodeTransfers({
      nodeId: this.nodeId,
      store: this.options.store,
      config: this.options.config,
      peer: (nodeId) => this.nodePeers.get(nodeId),
      forget: (nodeId) => this.forgetNode(nodeId),
      tlsHost: this.tls === undefined || this.options.address.startsWith("/") ? undefined : this.options.address.slice(0, this.options.address.lastIndexOf(":")).replace(/^\[|\]$/g, ""),
    }));
  }

  /** Drops the connection to a node and its address (it failed, or was declared dead): the next use asks again. */
  private forgetNode(nodeId: string): void {
    this.nodeAddresses.forget(nodeId);
    this.nodePeers.forget(nodeId);
  }

  private get leaseManager(): LeaseManager {
    if (this.leases === undefined) throw new LuxError("raylet is not started");
    return this.leases;
  }

  /** Asks every process of the node to collect garbage, so refs they dropped free their objects. */
  collectGarbage(): void {
    for (const c of this.clients) c.notify("collectGarbage", {});
  }

  /**
   * Stops the workers, then removes the store's files (in /dev/shm and the spill folder)
   * even if stopping them failed, then drops the connections.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.nodeTransfers?.bulk?.close();
    this.reportTimer?.cancel();
    this.liveness?.stop();
    this.memory?.stop();
    this.view.close();
    this.nodePeers.close();
    this.npmEnvs.close();
    this.logs.close();
    try {
      await this.metrics.close();
      await this.pool?.close();
    } finally {
      await this.options.store.close();
      this.gcs?.close();
      await this.server?.close();
    }
  }
}

export type { CoreWorkerService };

