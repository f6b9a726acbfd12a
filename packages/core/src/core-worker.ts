import type {
  Clock,
  CoreWorkerService,
  GcsService,
  JobInfo,
  RayletService,
  PlacementGroupPlacement,
  RpcConnection,
  TaskSpec,
} from "@lux/protocol";
import type { ReconnectingConnection, RpcServer } from "@lux/protocol";
import { ConnectionPool } from "@lux/protocol";
import {
  type ClusterLostError,
  LuxError,
  type ConfigValues,
  NotInActorError,
  placementGroupRemoved,
  configSnapshot,
  createLogger,
  newActorCallTaskId,
  newTaskId,
} from "@lux/common";
import { ActorCreator, type ActorOptionsCompiled } from "./actor-creator.js";
import type { CallExtras } from "./actor-handle.js";
import { ActorNames } from "./actor-names.js";
import { ActorSubmitter } from "./actor-submitter.js";
import { ClusterWatcher } from "./cluster-watcher.js";
import { remoteRayletOptions, type PeerPool, type RayletPool } from "./connections.js";
import { coreWorkerHandlers } from "./core-worker-handlers.js";
import {
  clockOf,
  connectControlService,
  connectRaylet,
  listen,
  openStore,
  peerOptionsOf,
  register,
  type CoreWorkerOptions,
} from "./core-worker-start.js";
import { DefinitionExporter } from "./definition-exporter.js";
import { DependencyResolver } from "./dependency-resolver.js";
import { GeneratorStreams } from "./generator-streams.js";
import type { Definition, TaskPace } from "./function-registry.js";
import { largeArgsThroughStore, type EncodedCall } from "./large-args.js";
import { Lineage } from "./lineage.js";
import { ObjectRecovery } from "./object-recovery.js";
import { ObjectManager } from "./object-manager.js";
import { setRefTracker, type ObjectRef } from "./object-ref.js";
import { RuntimeEnvResolver } from "./runtime-env.js";
import type { StoreIO } from "./store-io.js";
import { encodeArgs, topLevelRefs } from "./task-args.js";
import { TaskCanceller } from "./task-canceller.js";
import { observability } from "./observability.js";
import { metricsParts, startMetricsReports } from "./metrics-reporter.js";
import { taskContext } from "./task-context.js";
import { GroupCapture } from "./group-capture.js";
import { TaskExecutor } from "./task-executor.js";
import { NONE, newTaskRecord, refsOf, type TaskOptionsCompiled, type TaskRecord } from "./task-record.js";
import { PlainTask, TaskHeads, isPlain } from "./plain-task.js";
import { TaskResults } from "./task-results.js";
import { TaskSubmitter } from "./task-submitter.js";
import { WorkerBlocking } from "./worker-blocking.js";

const log = createLogger("core");

/** What CoreWorker.start opened and learned registering, for the core worker to run on. */
interface Started {
  server: RpcServer<CoreWorkerService>;
  /** Workers: the server on the node-local Unix socket, if listening there. */
  socketServer: RpcServer<CoreWorkerService> | undefined;
  gcs: ReconnectingConnection<GcsService, CoreWorkerService>;
  /** This node's raylet. */
  raylet: RpcConnection<RayletService, CoreWorkerService>;
  /** Connections to other core workers. */
  peers: PeerPool;
  /** Connections to other nodes' raylets (leases spilled back there). */
  raylets: RayletPool;
  nodeId: string;
  /** The labels of this process's node. */
  nodeLabels: Record<string, string>;
  storeIO: StoreIO;
  /** The tunables its parts are built with, read once by start(). */
  config: ConfigValues;
  /** A driver's job (registered again when the control service comes back); undefined in a worker. */
  jobInfo: JobInfo | undefined;
  /** The control service's incarnation at registration. */
  incarnation: string;
}

/**
 * The core worker: what the driver and every worker process use to own objects, submit
 * tasks and actor calls, and (in workers) execute them.
 */
export class CoreWorker {
  readonly address: string;
  nodeId = "";
  /** The labels of this process's node (for its runtime context). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly objects: ObjectManager;
  /** Tasks in flight, and what the state API is told of them (`observed`). */
  readonly results: TaskResults;
  private readonly submitter: TaskSubmitter;
  readonly gcs: ReconnectingConnection<GcsService, CoreWorkerService>;
  /** The tunables its parts were built with. */
  readonly config: ConfigValues;
  readonly raylet: RpcConnection<RayletService, CoreWorkerService>;
  /** Its servers, connections and store, closed with it. */
  private readonly started: Started;
  private readonly actors: ActorSubmitter;
  private readonly actorCreator: ActorCreator;
  /** Named actors' names this process knows are taken (refused at `.remote()`). */
  readonly actorNames: ActorNames;
  private readonly canceller: TaskCanceller;
  private readonly dependencies: DependencyResolver;
  /** Puts definitions into the control service for workers to load (also lux.util.Pool's functions). */
  readonly definitions: DefinitionExporter;
  private readonly cluster: ClusterWatcher;
  readonly executor: TaskExecutor;
  /** The streaming generator tasks this process submitted that still run (their items arrive here). */
  readonly generators: GeneratorStreams;
  /** Runtime envs of submitted work: the job's (or this worker's) merged with the options'. */
  readonly runtimeEnvs: RuntimeEnvResolver;
  /** What the calls of a definition share in their tasks' specs and options. */
  private readonly heads = new TaskHeads(this);
  private readonly capture = new GroupCapture(() => this.currentPlacementGroup());
  /** Arguments of a call up to this many bytes travel in its spec; larger ones through the store. */
  private readonly inlineArgsMaxBytes: number;
  /** Set once this process lost its raylet or control service for good (terminal). */
  lostError: ClusterLostError | undefined;
  /** What close() ends first: resources other parts of Lux opened on this core worker (lux.util.collective's peers). */
  private readonly closeHooks: (() => Promise<void> | void)[] = [];

  private constructor(
    readonly options: CoreWorkerOptions,
    started: Started,
  ) {
    const { server, gcs, raylet, peers, nodeId, storeIO, config } = started;
    this.config = config;
    this.started = started;
    this.gcs = gcs;
    this.raylet = raylet;
    this.address = server.address;
    this.nodeId = nodeId;
    this.nodeLabels = started.nodeLabels;
    this.inlineArgsMaxBytes = config.inlineObjectMaxBytes;
    const clock = clockOf(options);
    const blocking = new WorkerBlocking({ mode: options.mode, workerId: options.workerId, raylet, requeueWaiting: () => this.executor.requeueWaiting() });
    this.objects = new ObjectManager({ selfAddress: this.address, nodeId, raylet, peers, store: storeIO, blocking, clock, config });
    const lineage = new Lineage(config.maxLineageBytes);
    this.objects.onFree((id) => lineage.freed(id));
    this.results = new TaskResults(this.objects, lineage, observability({ gcs, nodeId, workerId: options.workerId, clock, config, objects: this.objects }));
    this.generators = new GeneratorStreams(this.objects);
    this.dependencies = new DependencyResolver(this.objects.getter, this.results);
    this.definitions = new DefinitionExporter(gcs, options.functions);
    this.submitter = new TaskSubmitter({
      jobId: options.jobId,
      nodeId,
      raylet,
      raylets: started.raylets,
      workers: peers,
      results: this.results,
      placementGroupRemoved: (placementGroupId) => placementGroupRemoved(gcs, placementGroupId),
      clock,
      config,
    });
    this.results.onRetry((r) => this.submitter.enqueue(r));
    const recovery = new ObjectRecovery(this.address, this.objects.memory, this.objects.directory, lineage, (r) => this.resubmit(r));
    this.objects.directory.onLost((ids, failed) => recovery.recover(ids, failed));
    this.actors = new ActorSubmitter({ callerId: options.workerId, gcs, peers, results: this.results, nodeId, config });
    this.runtimeEnvs = new RuntimeEnvResolver(gcs, options.runtimeEnv, config);
    this.actorNames = new ActorNames(gcs, config.rpcRegisterTimeoutMs);
    this.actorCreator = new ActorCreator({
      jobId: options.jobId,
      ownerAddress: this.address,
      ownerWorkerId: options.workerId,
      ownerNodeId: nodeId,
      gcs,
      names: this.actorNames,
      actors: this.actors,
      definitions: this.definitions,
      runtimeEnvs: this.runtimeEnvs,
      dependencies: this.dependencies,
      largeArgs: { limit: this.inlineArgsMaxBytes, through: (args, name) => this.largeArgs(args, name) },
      config,
    });
    // The last handle of an actor this process created is gone: the actor ends.
    this.objects.onFree((id) => this.actorCreator.freed(id));
    this.canceller = new TaskCanceller({ selfAddress: this.address, results: this.results, submitter: this.submitter, actors: this.actors, peers });
    this.executor = this.newExecutor(clock, config);
    this.cluster = this.newClusterWatcher(started);
    this.closeHooks.push(startMetricsReports({ raylet, clock, intervalMs: config.metricsReportIntervalMs, parts: metricsParts(this.results, this.executor) }));
    setRefTracker(this.objects.refs);
  }

  /** Runs the tasks pushed to this process; cancelling one recursively cancels those it submitted. */
  private newExecutor(clock: Clock, config: ConfigValues): TaskExecutor {
    return new TaskExecutor({
      gcs: this.gcs,
      objects: this.objects,
      functions: this.options.functions,
      onCancelChildren: (taskId) => {
        for (const child of this.results.children(taskId)) void this.canceller.cancelRecord(child, false, true);
      },
      clock,
      config,
      events: this.results.events,
    });
  }

  /** Keeps this process in step with the control service and fails what is pending if the cluster is lost. */
  private newClusterWatcher(started: Started): ClusterWatcher {
    return new ClusterWatcher({
      gcs: this.gcs,
      raylet: this.raylet,
      mode: this.options.mode,
      gcsAddress: this.options.gcsAddress,
      job: started.jobInfo,
      incarnation: started.incarnation,
      definitions: this.definitions,
      actorCreations: this.actorCreator,
      nodeDied: (nodeId) => this.nodeDied(nodeId),
      lost: (error) => this.lost(error),
      config: started.config,
    });
  }

  /** Connects to the control service, listens, connects to the raylet and its store, then registers. */
  static async start(options: CoreWorkerOptions): Promise<CoreWorker> {
    // The composition root: every part gets its tunables from here, read once.
    const config = options.config ?? configSnapshot();
    let self: CoreWorker | undefined;
    const handlers = coreWorkerHandlers(() => {
      if (self === undefined) throw new LuxError("this core worker is still starting; it cannot serve calls yet");
      return self;
    });
    const peerOptions = peerOptionsOf(options);
    const connect = { ...peerOptions, handlers, weak: options.weak };
    const gcs = await connectControlService(options, connect, config);
    const { server, socketServer } = await listen(options, peerOptions, handlers, gcs);
    const { raylet, rayletAddress } = await connectRaylet(options, connect, gcs);
    // Everything the handlers need is set up before registering: once a worker is
    // registered, the raylet may lease it and an owner may push a task at once.
    const storeIO = await openStore(raylet, rayletAddress, options.token, config);
    const { incarnation } = await gcs.call("getControlServiceInfo", {});
    const { nodeId, nodeLabels, jobInfo } = await register(options, raylet, gcs, server.address, socketServer);
    // Nothing else is awaited between a worker's registration and this: once registered it may be pushed a task.
    const peers = new ConnectionPool<CoreWorkerService, CoreWorkerService>(connect);
    const raylets = new ConnectionPool<RayletService, CoreWorkerService>(remoteRayletOptions(connect, log));
    self = new CoreWorker(options, { server, socketServer, gcs, raylet, peers, raylets, nodeId, nodeLabels, storeIO, config, jobInfo, incarnation });
    self.cluster.watch();
    // A driver knows the cluster's actor names from the start (a worker from its first named actor).
    if (options.mode === "driver") await self.actorNames.subscribe();
    return self;
  }

  /** Submits a normal task; returns its return refs at once. */
  submitTask(def: Definition, callArgs: unknown[], given: TaskOptionsCompiled): ObjectRef[] {
    const options = given.strategyGiven === true || this.options.mode === "driver" ? given : this.capture.task(given);
    const exported = this.definitions.export(def);
    let args = callArgs;
    let encoded = encodeArgs(args, def.name);
    if (encoded.bytes.length > this.inlineArgsMaxBytes) ({ args, encoded } = this.largeArgs(args, def.name));
    const taskId = newTaskId();
    let record: TaskRecord;
    if (isPlain(options)) {
      // The common case: record and spec in one object, what the calls share in their head.
      const head = this.heads.of(def, options);
      record = new PlainTask(head, taskId, encoded.bytes, topLevelRefs(args), encoded.held, taskContext.getStore()?.taskId);
      this.results.track(record);
    } else {
      const spec = this.heads.spec(def, options, taskId, encoded.bytes);
      record = this.record(spec, args, encoded.held, this.heads.withEnv(options), def.pace);
    }
    const refs = refsOf(record.returnSlots, this.address);
    if (exported === undefined && options.runtimeEnv === undefined && record.deps.length === 0) {
      // Nothing to wait for: queued now, without a promise hop per task.
      this.submitter.enqueue(record);
      return refs;
    }
    const ready =
      options.runtimeEnv === undefined
        ? exported
        : Promise.all([exported, this.runtimeEnvs.resolve(options.runtimeEnv)]).then(([, env]) => {
            record.options.runtimeEnvSpec = env;
          });
    void this.dependencies.resolve(record, ready).then((ok) => {
      if (ok) this.submitter.enqueue(record);
    });
    return refs;
  }

  /** A call's arguments over the inline limit: the large ones go through the object store. */
  private largeArgs(args: unknown[], name: string): EncodedCall {
    return largeArgsThroughStore(args, name, this.inlineArgsMaxBytes, (value) => this.objects.putter.put(value));
  }

  /** Registers an actor with the control service; calls made meanwhile wait for it. */
  createActor(def: Definition, args: unknown[], options: ActorOptionsCompiled): string {
    return this.actorCreator.create(def, args, options.strategyGiven === true ? options : this.capture.actor(options));
  }

  /** The placement group the running task or actor is in, if any. */
  currentPlacementGroup(): PlacementGroupPlacement | undefined {
    return taskContext.getStore()?.spec?.placementGroup ?? this.executor.hosted?.placementGroup;
  }

  /**
   * `handle`: held by the call until it is done, so the actor outlives its calls (see
   * ActorHandleState). `generatorBackpressure`: set for a generator method (0: no limit).
   * `extras`: the call's concurrency group and the actor's maxPendingCalls, if any (past that
   * many calls unfinished, PendingCallsLimitExceededError is thrown here).
   */
  submitActorCall(
    actorId: string,
    method: string,
    callArgs: unknown[],
    numReturns: number,
    handle?: object,
    generatorBackpressure?: number,
    extras?: CallExtras,
  ): ObjectRef[] {
    if (extras?.maxPendingCalls !== undefined) this.actors.admit(actorId, extras.maxPendingCalls);
    const taskId = newActorCallTaskId();
    let args = callArgs;
    let encoded = encodeArgs(args, method);
    if (encoded.bytes.length > this.inlineArgsMaxBytes) ({ args, encoded } = this.largeArgs(args, method));
    const spec: TaskSpec = {
      taskId,
      jobId: this.options.jobId,
      functionId: "",
      name: method,
      args: encoded.bytes,
      resolved: NONE,
      borrowed: NONE,
      numReturns,
      ownerAddress: this.address,
      gpuIds: NONE,
      actorId,
      method,
      reported: false,
    };
    if (generatorBackpressure !== undefined) spec.generator = { backpressure: generatorBackpressure, skip: 0 };
    if (extras?.concurrencyGroup !== undefined) spec.concurrencyGroup = extras.concurrencyGroup;
    const record = this.record(spec, args, encoded.held, { resources: {}, maxRetries: 0, retryExceptions: false, numReturns });
    const refs = refsOf(record.returnSlots, this.address);
    const call = this.actors.submit(actorId, record, handle);
    if (extras?.maxPendingCalls !== undefined) this.actors.pending(actorId, record);
    if (record.deps.length === 0) {
      this.actors.markReady(actorId, call);
    } else {
      void this.dependencies.resolve(record, undefined).then((ok) => {
        if (ok) this.actors.markReady(actorId, call);
        else this.actors.remove(actorId, record);
      });
    }
    return refs;
  }

  /** The control service says an actor's worker stopped (or resumed) making progress. */
  actorAvailability(actorId: string, available: boolean): void {
    this.actors.availability(actorId, available);
  }

  killActor(actorId: string, noRestart: boolean): Promise<void> {
    return this.actorCreator.kill(actorId, noRestart);
  }

  /**
   * `lux.exitActor()`: the actor this worker hosts ends once the running call has replied.
   * The control service marks it dead first (not restarted), so callers hear why.
   */
  exitActor(): void {
    const actorId = this.executor.actorId;
    if (this.options.mode !== "worker" || actorId === undefined || taskContext.getStore()?.actorId !== actorId) {
      throw new NotInActorError({ operation: "lux.exitActor" });
    }
    this.executor.exitAfterCurrentCall(async () => {
      await this.gcs.call("reportActorExit", { actorId, workerId: this.options.workerId }).catch((e: unknown) => {
        log.warn(`could not tell the control service that actor ${actorId} exits: ${(e as Error).message}`);
      });
    }, () => {
      // After this tick's replies are written; the raylet frees the lease when the process ends.
      setImmediate(() => process.exit(0));
    });
  }

  /** Settles once the actors this process created so far with this name are registered (or refused). */
  namedActorRegistered(name: string, namespace: string): Promise<void> {
    return this.actors.namedRegistered(name, namespace);
  }

  cancel(ref: ObjectRef, force: boolean, recursive: boolean): Promise<void> {
    return this.canceller.cancel(ref, force, recursive);
  }

  /** Another process called `lux.cancel` on a ref to the result of a task this process submitted. */
  cancelOwned(objectId: string, force: boolean, recursive: boolean): Promise<void> {
    return this.canceller.cancelOwned(objectId, force, recursive);
  }

  /** Nothing depends on this process: it owns no referenced objects and waits on no tasks. */
  idle(): boolean {
    return this.objects.refs.ownedCount() === 0 && this.results.size() === 0 && this.executor.actorId === undefined;
  }

  /** A node was declared dead: no more tasks go to its workers; owned objects lost with it are re-created. */
  nodeDied(nodeId: string): void {
    // This process's own node: its raylet is gone for the cluster even if its connection is not closed (a hung machine).
    if (nodeId === this.nodeId) this.cluster.lost("raylet", this.raylet.peer);
    this.submitter.nodeDied(nodeId);
    this.actors.nodeDied(nodeId);
    this.objects.directory.nodeDied(nodeId);
  }

  /**
   * The raylet (or the control service) is gone for good: every task, actor call, get and put
   * pending fails with `error`, and so does every one made from now on (see requireConnected).
   */
  private lost(error: ClusterLostError): void {
    this.lostError = error;
    this.submitter.lost(error);
    this.results.failAll(error);
    this.actors.failAll(error);
    this.objects.lost(error);
  }

  /** Runs a finished task (or actor call) again to re-create its lost results (lineage reconstruction). */
  private resubmit(record: TaskRecord): void {
    record.state = "resolving";
    this.results.track(record);
    const resolved = this.dependencies.resolve(record, undefined);
    if (record.spec.actorId !== undefined) {
      this.actors.resend(record, resolved);
      return;
    }
    void resolved.then((ok) => {
      if (ok) this.submitter.enqueue(record);
    });
  }

  /** Runs `hook` when this core worker closes (lux.shutdown()), before its connections go. */
  onClose(hook: () => Promise<void> | void): void {
    this.closeHooks.push(hook);
  }

  async close(): Promise<void> {
    // What is pending fails now: no result may arrive while the close hooks run (the driver's drain of its workers' output).
    this.results.cancelAll("lux.shutdown() was called before the task finished");
    for (const hook of this.closeHooks.splice(0)) await hook();
    this.cluster.close();
    // A driver may create a detached actor and exit at once: the actor must still exist.
    await this.actorCreator.detachedRegistered();
    const { raylets, peers, storeIO, server, socketServer } = this.started;
    this.submitter.close();
    // Not destroyed: the submitter's withdrawals of lease requests must go out first.
    raylets.close(false);
    this.results.cancelAll("lux.shutdown() was called before the task finished");
    // The last task events (those cancellations among them) go out before the connection closes.
    await this.results.observed?.close();
    setRefTracker(undefined);
    peers.close();
    storeIO.close();
    this.gcs.close();
    this.raylet.close();
    await server.close();
    await socketServer?.close();
  }

  private record(spec: TaskSpec, args: unknown[], held: readonly ObjectRef[], options: TaskOptionsCompiled, pace?: TaskPace): TaskRecord {
    const record = newTaskRecord(spec, topLevelRefs(args), held, options, pace);
    this.results.track(record);
    return record;
  }
}
