import { randomUUID } from "node:crypto";
import type {
  Clock,
  CoreWorkerService,
  Dial,
  DrainReply,
  Handlers,
  PeerOptions,
  RayletService,
  RpcConnection,
  ServerConnection,
  ServiceDef,
  ServiceHandlers,
} from "@lux/protocol";
import { GcsService, RpcServer, serve, systemClock } from "@lux/protocol";
import { LuxError, createLogger, nonDefaultConfig, rpcPeerOptions, tlsFilesOf, warnIfExposed, type ConfigValues } from "@lux/common";
import { ActorManager } from "./actor-manager.js";
import { ActorNamePublisher } from "./actor-name-publisher.js";
import { JobManager } from "./job-manager.js";
import { KvManager } from "./kv-manager.js";
import { HealthChecker } from "./health-checker.js";
import { NodeManager } from "./node-manager.js";
import { NodeDeathPublisher } from "./node-death-publisher.js";
import { PlacementGroupManager } from "./placement-group-manager.js";
import { ResourceViewManager } from "./resource-view.js";
import { StateManager } from "./state-manager.js";
import type { GcsStorage } from "./storage.js";
import { isPersistent } from "./redis-storage.js";

type GcsHandlers = Handlers<GcsService, ServerConnection<GcsService>>;
type ActorMethod =
  | "createActor"
  | "getActorInfo"
  | "getNamedActor"
  | "subscribeActorNames"
  | "killActor"
  | "reportActorExit"
  | "reportActorOutOfScope"
  | "reportWorkerDeath"
  | "reportWorkerLiveness";

type StateMethod = "reportTaskEvents" | "listState" | "getState" | "summarizeState" | "taskTimeline";
type PlacementGroupMethod = "createPlacementGroup" | "removePlacementGroup" | "getPlacementGroup" | "placementGroupTable" | "waitPlacementGroup";

const log = createLogger("gcs");

export interface GcsServerOptions {
  address: string;
  token: string;
  storage: GcsStorage;
  /** How outbound connections (to workers, to owners) reach their peers (default: TCP or Unix sockets). */
  dial?: Dial;
  /** Times health checks, reconnection windows, registration waits and deadlines (default: the system clock). */
  clock?: Clock;
  /** The tunables of the control service and its managers (its main reads them once). */
  config: ConfigValues;
}

/** The control service: one manager per domain behind one RPC server. */
export class GcsServer {
  readonly nodes: NodeManager;
  private readonly health: HealthChecker;
  private readonly nodeDeaths: NodeDeathPublisher;
  private readonly actorNames = new ActorNamePublisher();
  readonly view: ResourceViewManager;
  readonly jobs: JobManager;
  readonly kv: KvManager;
  readonly actors: ActorManager;
  readonly placementGroups: PlacementGroupManager;
  /** The state API and the task events it lists. */
  readonly state: StateManager;
  private server: RpcServer<GcsService> | undefined;

  /** Changes with every start: clients tell a restart from a dropped connection by it. */
  private readonly incarnation = randomUUID();
  private readonly startedAtMs = Date.now();

  /** Options of every connection the control service opens or accepts. */
  private readonly peerOptions: PeerOptions;

  constructor(private readonly options: GcsServerOptions) {
    const clock = options.clock ?? systemClock;
    this.peerOptions = { ...rpcPeerOptions(options.token, log, tlsFilesOf(options.config)), ...(options.dial !== undefined ? { dial: options.dial } : {}), clock };
    this.nodes = new NodeManager(clock);
    const { config } = options;
    this.health = new HealthChecker(this.nodes, clock, config.gcsHealthCheckPeriodMs, config.nodeDeathTimeoutMs);
    this.nodeDeaths = new NodeDeathPublisher(this.nodes);
    this.view = new ResourceViewManager(this.nodes, config.resourceViewBatchMs, clock);
    this.jobs = new JobManager(clock);
    this.kv = new KvManager(options.storage);
    this.nodes.persistTo(options.storage);
    this.jobs.persistTo(options.storage);
    this.actors = new ActorManager({
      nodes: this.nodes,
      view: this.view,
      storage: options.storage,
      peerOptions: this.peerOptions,
      clock,
      config,
      nameChanged: (namespace, name, actorId) => this.actorNames.changed(namespace, name, actorId),
    });
    this.placementGroups = new PlacementGroupManager({
      nodes: this.nodes,
      view: this.view,
      clock,
      config,
      removed: (placementGroupId) => this.actors.placementGroupRemoved(placementGroupId),
      storage: options.storage,
    });
    this.state = new StateManager({
      actors: this.actors,
      nodes: this.nodes,
      jobs: this.jobs,
      placementGroups: this.placementGroups,
      view: this.view,
      taskEventsMax: config.taskEventsMax,
      nodeTimeoutMs: config.rpcBestEffortTimeoutMs,
    });
    this.jobs.onJobEnd((jobId) => {
      this.actors.onJobEnd(jobId);
      this.placementGroups.onJobEnd(jobId);
      for (const n of this.nodes.alive()) n.connection.call("jobFinished", { jobId }).catch(() => undefined);
    });
  }

  get address(): string {
    if (this.server === undefined) throw new LuxError("control service is not started");
    return this.server.address;
  }

  async start(): Promise<void> {
    await this.restore();
    this.server = await RpcServer.listen<GcsService>({
      ...this.peerOptions,
      address: this.options.address,
      handlers: this.handlers(),
    });
    this.health.start();
    const tlsOn = tlsFilesOf(this.options.config) !== undefined;
    log.info(`control service listening on ${this.server.address} (storage: ${this.options.storage.kind}; ${tlsOn ? "TLS 1.3, certificates checked both ways" : "plaintext"})`);
    warnIfExposed(log, "the control service", this.server.address, tlsOn);
  }

  /** Tables of a previous run (Redis): restored before anyone can connect. */
  private async restore(): Promise<void> {
    const windowMs = this.options.config.gcsReconnectWindowMs;
    const jobs = await this.jobs.restore(windowMs);
    const nodes = await this.nodes.restore(windowMs);
    const actors = await this.actors.restore();
    const groups = await this.placementGroups.restore();
    if (jobs + nodes + actors + groups > 0) {
      log.info(
        `restored from ${this.options.storage.kind}: ${jobs} jobs, ${nodes} nodes, ${actors} actors, ${groups} placement groups; waiting for raylets and drivers to reconnect`,
      );
    }
  }

  /** What the control service answers: each call goes to the manager of its domain. */
  private handlers(): ServiceHandlers<GcsService> {
    return serve(GcsService, {
    registerNode: async (req, conn) => {
      await this.nodes.register({ ...req }, conn as unknown as RpcConnection<RayletService>);
      return { ok: true };
    },
    registerJob: async (req, conn) => {
      await this.jobs.register(req, conn as unknown as RpcConnection<never>);
      return { ok: true };
    },
    getControlServiceInfo: () => ({
      incarnation: this.incarnation,
      startedAtMs: this.startedAtMs,
      storage: this.options.storage.kind,
      persistent: isPersistent(this.options.storage),
      config: nonDefaultConfig(this.options.config) as Record<string, number | string | boolean>,
    }),
    getJob: (req) => {
      const job = this.jobs.get(req.jobId);
      if (job === undefined) throw new LuxError(`unknown job ${req.jobId}`);
      return job;
    },
    getNodes: () => this.nodes.list(),
    subscribeNodeDeaths: (_req, conn) => ({
      deadNodeIds: this.nodeDeaths.subscribe(conn as unknown as RpcConnection<CoreWorkerService>),
    }),
    getClusterResources: () => this.nodes.resources(this.options.config.rpcBestEffortTimeoutMs),
    getPendingDemand: async () => {
      const perNode = await Promise.all(
        this.nodes.alive().map((n) => n.connection.call("getPendingDemand", {}, this.options.config.rpcBestEffortTimeoutMs).catch(() => [])),
      );
      return [...perNode.flat(), ...this.actors.pendingDemand(), ...this.placementGroups.pendingDemand()];
    },
    getNodeActivity: async () => {
      const timeoutMs = this.options.config.rpcBestEffortTimeoutMs;
      const perNode = await Promise.all(this.nodes.alive().map((n) => n.connection.call("getNodeActivity", {}, timeoutMs).catch(() => undefined)));
      return perNode.filter((a) => a !== undefined);
    },
    drainNode: (req) => this.drainNode(req.nodeId, req.reason),
    reportResources: (req) => {
      this.view.report(req.nodeId, req.total, req.available, req.memoryPressure);
      if (this.placementGroups.hasPending) this.placementGroups.retryPending();
      this.actors.resourcesChanged();
      return { ok: true };
    },
    getClusterView: () => this.view.list(),
    kvPut: (req) => this.kv.put(req),
    kvGet: (req) => this.kv.get(req),
    kvExists: (req) => this.kv.exists(req),
    kvDel: (req) => this.kv.del(req),
    kvKeys: (req) => this.kv.keys(req),
    ...this.actorHandlers(),
    ...this.placementGroupHandlers(),
    ...this.stateHandlers(),
    });
  }

  /**
   * The autoscaler drains an idle node before ending it: it leaves the view (no new actor,
   * bundle or spilled lease goes there) while its raylet moves its objects off; a busy node
   * refuses and comes back.
   */
  private async drainNode(nodeId: string, reason: string): Promise<DrainReply> {
    const node = this.nodes.alive().find((n) => n.info.nodeId === nodeId);
    if (node === undefined) return { accepted: false, rejection: "no alive node has this id", movedObjects: 0, failedObjects: 0 };
    log.info(`draining node ${nodeId.slice(0, 8)}: ${reason}`);
    this.view.setDraining(nodeId, true);
    let reply: DrainReply;
    try {
      reply = await node.connection.call("drainNode", { reason }, this.options.config.rpcTimeoutMs * 4);
    } catch (e) {
      reply = { accepted: false, rejection: `its raylet did not answer: ${(e as Error).message}`, movedObjects: 0, failedObjects: 0 };
    }
    if (!reply.accepted) this.view.setDraining(nodeId, false);
    return reply;
  }

  /** The state API's part of the service: each call goes to the StateManager. */
  private stateHandlers(): Pick<GcsHandlers, StateMethod> {
    const state = this.state;
    return {
      reportTaskEvents: (req) => {
        state.reportTaskEvents(req);
        return { ok: true };
      },
      listState: (req) => state.list(req),
      getState: async (req) => ({ item: await state.get(req.kind, req.id) }),
      summarizeState: (req) => state.summary(req.kind, req.filters),
      taskTimeline: (req) => ({ events: state.timeline(req.jobId) }),
    };
  }

  /** The actor directory's part of the service: each call goes to the ActorManager. */
  private actorHandlers(): Pick<GcsHandlers, ActorMethod> {
    return {
      createActor: (req) => this.actors.create(req),
      getActorInfo: (req) => this.actors.info(req.actorId, req.waitAlive, req.staleAddress, req.waitMs),
      getNamedActor: (req) => this.actors.named(req.name, req.namespace),
      subscribeActorNames: (_req, conn) => ({
        names: this.actorNames.subscribe(conn as unknown as RpcConnection<CoreWorkerService>, () => this.actors.namesInUse()),
      }),
      killActor: (req) => {
        this.actors.kill(req.actorId, req.noRestart);
        return { ok: true };
      },
      reportActorExit: (req) => {
        this.actors.exited(req.actorId, req.workerId);
        return { ok: true };
      },
      reportActorOutOfScope: (req) => {
        this.actors.outOfScope(req.actorId);
        return { ok: true };
      },
      reportWorkerDeath: (req) => {
        this.actors.onWorkerDeath(req.workerId, req.reason, req.outOfMemory);
        return { ok: true };
      },
      reportWorkerLiveness: (req) => this.workerLiveness(req.workerId, req.responsive),
    };
  }

  /** Placement groups' part of the service: each call goes to the PlacementGroupManager. */
  private placementGroupHandlers(): Pick<GcsHandlers, PlacementGroupMethod> {
    const groups = this.placementGroups;
    return {
      createPlacementGroup: (req) => groups.create(req),
      removePlacementGroup: async (req) => {
        await groups.remove(req.placementGroupId);
        return { ok: true };
      },
      getPlacementGroup: (req) => groups.get(req),
      placementGroupTable: () => groups.table(),
      waitPlacementGroup: (req) => groups.wait(req.placementGroupId, req.waitMs),
    };
  }

  /** A raylet says a worker stopped (or resumed) making progress: the callers of its actor hear it. */
  private workerLiveness(workerId: string, responsive: boolean): { ok: true } {
    const actorId = this.actors.workerLiveness(workerId, responsive);
    if (actorId !== undefined) this.nodeDeaths.actorAvailability(actorId, responsive);
    return { ok: true };
  }

  async close(): Promise<void> {
    this.health.stop();
    this.view.close();
    // Connections closing from here on are our doing: nodes and jobs stay alive in storage.
    this.nodes.stop();
    this.jobs.stop();
    await this.server?.close();
    await this.options.storage.close();
  }
}

export type { ServiceDef };
