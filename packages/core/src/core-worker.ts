import * as fs from "node:fs";
import type {
  ActorCreationSpec,
  CoreWorkerService,
  GcsService,
  Handlers,
  JobInfo,
  RayletService,
  ResolvedArg,
  RpcCaller,
  RpcConnection,
  RuntimeEnvSpec,
  SchedulingStrategy,
  ServiceDef,
  TaskSpec,
} from "@lux/protocol";
import { ReconnectingConnection, RpcServer, connectRpc, decodeTaskSpec } from "@lux/protocol";
import {
  ActorDiedError,
  ClusterLostError,
  InitError,
  LuxError,
  NotInActorError,
  TaskCancelledError,
  config,
  controlServiceStateLost,
  createLogger,
  fromWireError,
  newActorId,
  newTaskId,
  objectIdFor,
  rpcPeerOptions,
} from "@lux/common";
import { openArena } from "@lux/object-store";
import { ActorSubmitter } from "./actor-submitter.js";
import { collectGarbage } from "./gc.js";
import { FunctionRegistry, type Definition } from "./function-registry.js";
import { Lineage } from "./lineage.js";
import { ObjectRecovery } from "./object-recovery.js";
import { ObjectManager } from "./object-manager.js";
import { ObjectRef, setRefTracker } from "./object-ref.js";
import type { Slot } from "./memory-store.js";
import { PeerPool } from "./peer-pool.js";
import { RayletPool } from "./raylet-pool.js";
import { RuntimeEnvResolver, type RuntimeEnvInput } from "./runtime-env.js";
import { SerializationError, serialize } from "./serialization/index.js";
import { StoreIO } from "./store-io.js";
import { SyncObjectCreator } from "./store-sync.js";
import { taskContext } from "./task-context.js";
import { TaskExecutor } from "./task-executor.js";
import type { TaskOptionsCompiled, TaskRecord } from "./task-record.js";
import { TaskResults } from "./task-results.js";
import { TaskSubmitter } from "./task-submitter.js";

const log = createLogger("core");

export type CoreWorkerMode = "driver" | "worker";

export interface CoreWorkerOptions {
  mode: CoreWorkerMode;
  gcsAddress: string;
  /** Driver: the raylet to use; by default the first alive node's. */
  rayletAddress?: string;
  token: string;
  jobId: string;
  namespace: string;
  workerId: string;
  /** Workers: also listen on this Unix socket, for processes of the same node. */
  socketPath?: string;
  /** Listen address of this process's RPC server; default: the interface that reaches the control service. */
  listenAddress?: string;
  functions: FunctionRegistry;
  /** Driver: connections do not keep the process alive unless calls are pending. */
  weak: boolean;
  /** Driver only: Node flags, cwd and env for the job's workers. */
  job?: { execArgv: string[]; cwd: string; env: Record<string, string>; entryUrl: string | undefined };
  /** Worker: the runtime env it runs in, inherited by the tasks and actors it submits. */
  runtimeEnv?: RuntimeEnvSpec | undefined;
}

export interface ActorOptionsCompiled {
  resources: Record<string, number>;
  name: string | undefined;
  namespace: string;
  getIfExists: boolean;
  detached: boolean;
  maxConcurrency: number;
  maxRestarts: number;
  /** Re-sends of a call in flight when the actor died (see ActorOptions.maxTaskRetries). */
  maxTaskRetries: number;
  /** Where the actor may be placed; undefined is "DEFAULT". */
  strategy?: SchedulingStrategy | undefined;
  /** The runtimeEnv option, validated (merged over the job's at creation). */
  runtimeEnv?: RuntimeEnvInput | undefined;
}

/**
 * The core worker: what the driver and every worker process use to own objects, submit
 * tasks and actor calls, and (in workers) execute them.
 */
export class CoreWorker {
  readonly address: string;
  nodeId = "";
  readonly objects: ObjectManager;
  private readonly results: TaskResults;
  private readonly submitter: TaskSubmitter;
  /** The local raylet and those of nodes that leases spilled back to. */
  private readonly raylets: RayletPool;
  private readonly actors: ActorSubmitter;
  readonly executor: TaskExecutor;
  /** Runtime envs of submitted work: the job's (or this worker's) merged with the options'. */
  readonly runtimeEnvs: RuntimeEnvResolver;
  private blockedDepth = 0;
  private closing = false;
  /** Registrations of detached actors in flight: close() lets them reach the control service. */
  private readonly detachedRegistrations = new Set<Promise<unknown>>();
  /**
   * Definitions exported to this cluster's control service, by definition. Kept here, not
   * on the definition: after shutdown() and init() the same definition meets a new cluster.
   */
  private exported = new WeakMap<Definition, { promise: Promise<void>; done: boolean }>();
  private readonly sharedOptions = new WeakMap<TaskOptionsCompiled, TaskOptionsCompiled>();

  private constructor(
    readonly options: CoreWorkerOptions,
    private readonly server: RpcServer<CoreWorkerService>,
    readonly gcs: ReconnectingConnection<GcsService, CoreWorkerService>,
    readonly raylet: RpcConnection<RayletService, CoreWorkerService>,
    private readonly peers: PeerPool,
    nodeId: string,
    private readonly storeIO: StoreIO,
    private readonly socketServer: RpcServer<CoreWorkerService> | undefined,
  ) {
    this.address = server.address;
    this.nodeId = nodeId;
    this.objects = new ObjectManager({
      selfAddress: this.address,
      nodeId,
      raylet,
      peers,
      store: storeIO,
      blocking: {
        enter: () => this.setBlocked(true),
        leave: () => this.setBlocked(false),
      },
    });
    const lineage = new Lineage();
    this.objects.onFree((id) => lineage.freed(id));
    this.results = new TaskResults(this.objects, lineage);
    this.raylets = new RayletPool(options.token, options.weak, raylet, nodeId);
    this.submitter = new TaskSubmitter(options.jobId, this.raylets, peers, this.objects, this.results);
    this.results.onRetry((r) => this.submitter.enqueue(r));
    const recovery = new ObjectRecovery(this.objects, lineage, (r) => this.resubmit(r));
    this.objects.onLost((ids, failed) => recovery.recover(ids, failed));
    this.actors = new ActorSubmitter(options.workerId, gcs, peers, this.results, nodeId);
    this.runtimeEnvs = new RuntimeEnvResolver(gcs, options.runtimeEnv);
    this.executor = new TaskExecutor(gcs, this.objects, options.functions, (taskId) => {
      for (const child of this.results.children(taskId)) void this.cancelRecord(child, false, true);
    });
    setRefTracker(this.objects.refs);
    raylet.onClose(() => this.clusterLost("raylet", raylet.peer));
    gcs.onClose(() => this.clusterLost("control service", gcs.peer));
  }

  static async start(options: CoreWorkerOptions): Promise<CoreWorker> {
    let self: CoreWorker | undefined;
    const handlers: Handlers<CoreWorkerService, RpcConnection<ServiceDef, CoreWorkerService>> = {
      pushTask: (wire, connection) => the().executor.execute(decodeTaskSpec(connection, wire)),
      createActor: async (spec) => {
        await the().executor.createActor(spec);
        return { ok: true };
      },
      cancelTask: (req) => {
        the().executor.cancel(req.taskId, req.recursive);
        return { ok: true };
      },
      getObjectStatus: (req) => the().objects.status(req.objectId),
      addObjectLocation: (req) => {
        the().objects.addCopy(req.objectId, req.nodeId);
        return { ok: true };
      },
      reportObjectLost: async (req) => {
        await the().objects.reportedLost(req.objectId, req.nodeIds);
        return { ok: true };
      },
      nodeDied: (req) => {
        the().nodeDied(req.nodeId);
        return { ok: true };
      },
      addBorrow: (req) => {
        for (const id of req.objectIds) the().objects.refs.addBorrower(id);
        return { ok: true };
      },
      removeBorrow: (req) => {
        for (const id of req.objectIds) the().objects.refs.removeBorrower(id);
        return { ok: true };
      },
      releaseContained: (req) => {
        the().executor.releaseContained(req.objectIds);
        return { ok: true };
      },
      canExit: () => ({ ok: the().idle() }),
      exit: () => {
        setImmediate(() => process.exit(0));
        return { ok: true };
      },
      collectGarbage: () => {
        collectGarbage();
        return { ok: true };
      },
      logWarning: (req) => {
        log.warn(req.message);
        return { ok: true };
      },
    };
    const the = (): CoreWorker => {
      if (self === undefined) throw new LuxError("this core worker is still starting; it cannot serve calls yet");
      return self;
    };
    const peerOptions = rpcPeerOptions(options.token, log);
    const connect = { ...peerOptions, handlers, weak: options.weak };
    const windowMs = config("gcsReconnectWindowMs");
    // A lost control service is reconnected to for up to gcsReconnectWindowMs (see watchControlService).
    const gcs = await ReconnectingConnection.open<GcsService, CoreWorkerService>({
      connect: () => connectRpc<GcsService, CoreWorkerService>(options.gcsAddress, connect),
      windowMs,
      weak: options.weak,
      onDisconnect: () =>
        log.warn(`lost the control service at ${options.gcsAddress}; reconnecting for up to ${windowMs} ms (running tasks go on; calls that need it wait)`),
    });
    // Listen where the cluster can reach us: by default on the interface that reaches the control service.
    const listenAddress = options.listenAddress ?? `${gcs.connection?.transport.localHost ?? "127.0.0.1"}:0`;
    const server = await RpcServer.listen<CoreWorkerService>({ ...peerOptions, address: listenAddress, handlers });
    if (options.weak) server.setWeak();
    const socketServer = options.socketPath === undefined ? undefined : await listenUnix(options.socketPath, peerOptions, handlers);
    const rayletAddress = options.rayletAddress ?? (await localRayletAddress(gcs));
    const raylet = await connectRpc<RayletService, CoreWorkerService>(rayletAddress, connect);
    // Everything the handlers need is set up before registering: once a worker is
    // registered, the raylet may lease it and an owner may push a task at once.
    const info = await raylet.call("getStoreInfo", {});
    const storeIO = new StoreIO(raylet, openArena(info.path, info.capacity), new SyncObjectCreator(rayletAddress, options.token));
    const { incarnation } = await gcs.call("getControlServiceInfo", {}, 10_000);
    let nodeId: string;
    let jobInfo: JobInfo | undefined;
    if (options.mode === "worker") {
      ({ nodeId } = await raylet.call("registerWorker", {
        workerId: options.workerId,
        address: server.address,
        ...(socketServer !== undefined ? { socketPath: socketServer.address } : {}),
        pid: process.pid,
      }));
    } else {
      ({ nodeId } = await raylet.call("registerClient", { address: server.address }));
      const job = options.job ?? { execArgv: [], cwd: process.cwd(), env: {}, entryUrl: undefined };
      jobInfo = {
        jobId: options.jobId,
        namespace: options.namespace,
        driverAddress: server.address,
        ...job,
      };
      await gcs.call("registerJob", jobInfo);
    }
    // No await between a worker's registration and this: once registered it may be pushed a task.
    self = new CoreWorker(options, server, gcs, raylet, new PeerPool(options.token, handlers, options.weak), nodeId, storeIO, socketServer);
    self.watchControlService(jobInfo, incarnation);
    self.subscribeNodeDeaths();
    return self;
  }

  /** Submits a normal task; returns its return refs at once. */
  submitTask(def: Definition, args: unknown[], options: TaskOptionsCompiled): ObjectRef[] {
    const exported = this.exportDefinition(def);
    const encoded = this.encodeArgs(args, def.name);
    const taskId = newTaskId();
    const spec: TaskSpec = {
      taskId,
      jobId: this.options.jobId,
      functionId: def.descriptor?.functionId ?? "",
      name: options.name ?? def.name,
      args: encoded.bytes,
      resolved: [],
      borrowed: [],
      returnIds: returnIdsOf(taskId, options.numReturns),
      ownerAddress: this.address,
      gpuIds: [],
    };
    const record = this.record(spec, args, encoded.held, this.optionsWithEnv(options));
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
    void this.resolveDependencies(record, ready).then((ok) => {
      if (ok) this.submitter.enqueue(record);
    });
    return refs;
  }

  /**
   * The options of one call with the runtime env it runs in. Calls without a runtime env of
   * their own share one object per definition (the submitter caches its scheduling key by
   * it); a call with one gets a copy, completed once its env is resolved.
   */
  private optionsWithEnv(options: TaskOptionsCompiled): TaskOptionsCompiled {
    const base = this.runtimeEnvs.base;
    if (options.runtimeEnv !== undefined) return { ...options, runtimeEnvSpec: base };
    const cached = this.sharedOptions.get(options);
    if (cached !== undefined && cached.runtimeEnvSpec === base) return cached;
    const shared = { ...options, runtimeEnvSpec: base };
    this.sharedOptions.set(options, shared);
    return shared;
  }

  /** Registers an actor with the control service; calls made meanwhile wait for it. */
  createActor(def: Definition, args: unknown[], options: ActorOptionsCompiled): string {
    const exported = this.exportDefinition(def);
    const actorId = newActorId();
    const encoded = this.encodeArgs(args, `${def.name} constructor`);
    const spec: ActorCreationSpec = {
      actorId,
      jobId: this.options.jobId,
      functionId: def.descriptor?.functionId ?? "",
      className: def.name,
      args: encoded.bytes,
      resolved: [],
      borrowed: [],
      ownerAddress: this.address,
      resources: options.resources,
      name: options.name,
      namespace: options.namespace,
      getIfExists: options.getIfExists,
      detached: options.detached,
      maxConcurrency: options.maxConcurrency,
      maxRestarts: options.maxRestarts,
      maxTaskRetries: options.maxTaskRetries,
      ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
      gpuIds: [],
    };
    const deps = topLevelRefs(args);
    const registration = (async () => {
      await exported;
      const runtimeEnv = await this.runtimeEnvs.resolve(options.runtimeEnv);
      if (runtimeEnv !== undefined) spec.runtimeEnv = runtimeEnv;
      spec.resolved = await this.resolveArgs(deps);
      const failed = spec.resolved.find((r) => r.error !== undefined);
      if (failed !== undefined) {
        throw new ActorDiedError({
          actorId,
          ...(options.name !== undefined ? { actorName: options.name } : {}),
          cause: new Error("an argument of the actor's constructor failed", { cause: fromWireError(failed.error) }),
        });
      }
      return this.gcs.call("createActor", spec);
    })();
    this.actors.registering(actorId, registration, options.name, options.namespace);
    if (options.detached) {
      this.detachedRegistrations.add(registration);
      const done = (): void => void this.detachedRegistrations.delete(registration);
      registration.then(done, done);
    }
    registration.catch((e: unknown) => {
      // Calls to the actor reject with this as the cause; say it now for code that makes none.
      log.warn(`could not create actor ${def.name}${options.name !== undefined ? ` "${options.name}"` : ""}: ${(e as Error).message}`);
    });
    // The argument refs stay referenced (by this closure) until the constructor has run.
    const held = encoded.held;
    registration
      .then(() => this.gcs.call("getActorInfo", { actorId, waitAlive: true }))
      .catch(() => undefined)
      .finally(() => void held);
    return actorId;
  }

  submitActorCall(actorId: string, method: string, args: unknown[], numReturns: number): ObjectRef[] {
    const taskId = newTaskId();
    const encoded = this.encodeArgs(args, method);
    const spec: TaskSpec = {
      taskId,
      jobId: this.options.jobId,
      functionId: "",
      name: method,
      args: encoded.bytes,
      resolved: [],
      borrowed: [],
      returnIds: returnIdsOf(taskId, numReturns),
      ownerAddress: this.address,
      gpuIds: [],
      actorId,
      method,
    };
    const record = this.record(spec, args, encoded.held, { resources: {}, maxRetries: 0, retryExceptions: false, numReturns });
    const refs = refsOf(record.returnSlots, this.address);
    const call = this.actors.submit(actorId, record);
    if (record.deps.length === 0) {
      this.actors.markReady(actorId, call);
    } else {
      void this.resolveDependencies(record, undefined).then((ok) => {
        if (ok) this.actors.markReady(actorId, call);
        else this.actors.remove(actorId, record);
      });
    }
    return refs;
  }

  async killActor(actorId: string, noRestart: boolean): Promise<void> {
    // A kill right after creation must reach the control service after the registration.
    await this.actors.registration(actorId)?.catch(() => undefined);
    await this.gcs.call("killActor", { actorId, noRestart });
    // The actor's worker ends a moment later: calls made from now on must not reach it meanwhile.
    const info = await this.gcs.call("getActorInfo", { actorId, waitAlive: false }).catch(() => undefined);
    if (info?.state === "DEAD") this.actors.markDead(actorId, this.actors.deathError(actorId, info));
    else this.actors.restarting(actorId);
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
      await this.gcs.call("reportActorExit", { actorId, workerId: this.options.workerId }, 10_000).catch((e: unknown) => {
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

  async cancel(ref: ObjectRef, force: boolean, recursive: boolean): Promise<void> {
    if (ref.ownerAddress !== this.address) {
      throw new TypeError(`only the process that submitted a task can cancel it; ${ref.toString()} is owned by ${ref.ownerAddress}`);
    }
    const record = this.results.byObject(ref.objectId);
    if (record === undefined) return; // finished already
    await this.cancelRecord(record, force, recursive);
  }

  private async cancelRecord(record: TaskRecord, force: boolean, recursive: boolean): Promise<void> {
    record.cancelled = true;
    const worker = record.worker;
    const wasRunning = record.state === "running";
    if (record.state === "queued") {
      this.submitter.dequeue(record);
      if (record.spec.actorId !== undefined) this.actors.remove(record.spec.actorId, record);
    }
    this.results.fail(record, new TaskCancelledError({ taskId: record.spec.taskId }));
    if (!wasRunning || worker === undefined) return;
    if (force) {
      await this.raylet.call("killWorker", { workerId: worker.workerId, reason: `task ${record.spec.name} was cancelled with force` });
    } else {
      const peer = await this.peers.get(worker.address).catch(() => undefined);
      peer?.notify("cancelTask", { taskId: record.spec.taskId, recursive });
    }
  }

  /** @internal counts of what this process tracks, for leak tests (`@lux/core/internal`). */
  debugStats(): { references: number; memoryStoreEntries: number; tasksInFlight: number } {
    return {
      references: this.objects.refs.size(),
      memoryStoreEntries: this.objects.store.size(),
      tasksInFlight: this.results.size(),
    };
  }

  /** Current task context (workers) for the runtime context. */
  currentTask(): { taskId: string | undefined; actorId: string | undefined } {
    const ctx = taskContext.getStore();
    return { taskId: ctx?.taskId, actorId: ctx?.actorId ?? this.executor.actorId };
  }

  /** Nothing depends on this process: it owns no referenced objects and waits on no tasks. */
  idle(): boolean {
    return this.objects.refs.ownedCount() === 0 && this.results.size() === 0 && this.executor.actorId === undefined;
  }

  /**
   * After the control service came back: a driver registers its job again (same id) before
   * waiting calls go through, and node deaths are subscribed to again. If it restarted with
   * in-memory storage, say loudly that its state is gone, and export definitions again.
   */
  private watchControlService(job: JobInfo | undefined, incarnation: string): void {
    let current = incarnation;
    this.gcs.onReconnect(async (conn) => {
      if (job !== undefined) await conn.call("registerJob", job, 30_000);
      const info = await conn.call("getControlServiceInfo", {}, 10_000);
      if (info.incarnation !== current && !info.persistent) {
        this.exported = new WeakMap();
        if (this.options.mode === "driver") log.warn(controlServiceStateLost(this.options.gcsAddress));
        else log.info(controlServiceStateLost(this.options.gcsAddress));
      } else {
        log.info(info.incarnation === current ? "reconnected to the control service" : `reconnected to the restarted control service (state restored from ${info.storage})`);
      }
      current = info.incarnation;
    });
    this.gcs.onReconnected(() => this.subscribeNodeDeaths());
  }

  /** Hears of dead nodes from the control service, to re-create owned objects lost with them. */
  private subscribeNodeDeaths(): void {
    this.gcs.call("subscribeNodeDeaths", {}, 30_000).then(
      ({ deadNodeIds }) => {
        for (const nodeId of deadNodeIds) this.nodeDied(nodeId);
      },
      (e: unknown) => {
        if (!this.closing) log.warn(`could not subscribe to node deaths: ${(e as Error).message}`);
      },
    );
  }

  /** A node was declared dead: no more tasks go to its workers; owned objects lost with it are re-created. */
  private nodeDied(nodeId: string): void {
    this.submitter.nodeDied(nodeId);
    this.objects.nodeDied(nodeId);
  }

  /** Runs a finished task again to re-create its lost results (lineage reconstruction). */
  private resubmit(record: TaskRecord): void {
    record.state = "resolving";
    this.results.track(record);
    void this.resolveDependencies(record, undefined).then((ok) => {
      if (ok) this.submitter.enqueue(record);
    });
  }

  /** The raylet or control service went away: fail what is pending instead of hanging. */
  private clusterLost(component: string, address: string): void {
    if (this.closing) return;
    const error = new ClusterLostError({ component, address });
    log.error(error.message);
    this.results.failAll(error);
    this.actors.failAll(error);
  }

  async close(): Promise<void> {
    this.closing = true;
    // A driver may create a detached actor and exit at once: the actor must still exist.
    await Promise.allSettled([...this.detachedRegistrations]);
    this.submitter.close();
    this.raylets.close();
    this.results.cancelAll("lux.shutdown() was called before the task finished");
    setRefTracker(undefined);
    this.peers.close();
    this.storeIO.close();
    this.gcs.close();
    this.raylet.close();
    await this.server.close();
    await this.socketServer?.close();
  }

  private setBlocked(blocked: boolean): void {
    if (this.options.mode !== "worker") return;
    this.blockedDepth += blocked ? 1 : -1;
    if (blocked && this.blockedDepth === 1) {
      // Tasks pipelined behind the blocked one must not wait for it (they may be what it waits for).
      this.executor.requeueWaiting();
      this.raylet.notify("workerBlocked", { workerId: this.options.workerId });
    }
    if (!blocked && this.blockedDepth === 0) this.raylet.notify("workerUnblocked", { workerId: this.options.workerId });
  }

  /** Resolves once the definition is in the control service; `undefined` when it already is. */
  private exportDefinition(def: Definition): Promise<void> | undefined {
    let exported = this.exported.get(def);
    if (exported === undefined) {
      const descriptor = this.options.functions.describe(def);
      const entry = {
        promise: this.gcs
          .call("kvPut", { key: `fn:${descriptor.functionId}`, value: FunctionRegistry.encode(descriptor), overwrite: false })
          .then(() => void (entry.done = true)),
        done: false,
      };
      exported = entry;
      this.exported.set(def, entry);
      entry.promise.catch(() => this.exported.delete(def));
    }
    return exported.done ? undefined : exported.promise;
  }

  /** Serializes the arguments; every ref inside them (at any depth) is returned to be held. */
  private encodeArgs(args: unknown[], name: string): { bytes: Uint8Array; held: readonly ObjectRef[] } {
    let encoded: ReturnType<typeof serialize>;
    try {
      encoded = serialize(args, `the arguments of ${name}`);
    } catch (e) {
      // Name the argument ("argument 2 of f: value at .cb is a function") rather than a
      // path into the argument list: serializing that argument alone throws the same problem.
      const index = e instanceof SerializationError ? /^\[(\d+)\]/.exec(e.path)?.[1] : undefined;
      if (index !== undefined) serialize(args[Number(index)], `argument ${Number(index) + 1} of ${name}`);
      throw e;
    }
    const { bytes, contained } = encoded;
    return { bytes, held: contained.length === 0 ? NO_REFS : contained.filter((c): c is ObjectRef => c instanceof ObjectRef) };
  }

  private record(spec: TaskSpec, args: unknown[], held: readonly ObjectRef[], options: TaskOptionsCompiled): TaskRecord {
    const ctx = taskContext.getStore();
    const record: TaskRecord = {
      queueSeq: undefined,
      spec,
      options,
      deps: topLevelRefs(args),
      heldRefs: held,
      retriesLeft: options.maxRetries,
      state: "resolving",
      cancelled: false,
      parentTaskId: ctx?.taskId,
      worker: undefined,
      returnSlots: NO_SLOTS,
      prev: undefined,
      next: undefined,
    };
    this.results.track(record);
    return record;
  }

  /** Waits for top-level ref arguments; fails the task with a dependency's error. */
  private async resolveDependencies(record: TaskRecord, exported: Promise<void> | undefined): Promise<boolean> {
    try {
      if (exported !== undefined) await exported;
      record.spec.resolved = await this.resolveArgs(record.deps);
    } catch (e) {
      this.results.fail(record, e);
      return false;
    }
    const failed = record.spec.resolved.find((r) => r.error !== undefined);
    if (failed !== undefined) {
      this.results.failWith(record, failed.error as Parameters<TaskResults["failWith"]>[1]);
      return false;
    }
    return !record.cancelled && record.state !== "finished";
  }

  private async resolveArgs(deps: readonly { index: number; ref: ObjectRef }[]): Promise<ResolvedArg[]> {
    if (deps.length === 0) return [];
    return Promise.all(
      deps.map(async ({ index, ref }) => {
        const v = await this.objects.locate(ref);
        const r: ResolvedArg = { index, objectId: ref.objectId };
        if (v.kind === "inline") r.value = v.bytes;
        else if (v.kind === "stored") {
          r.nodeId = v.nodeId;
          r.size = v.size;
          r.ownerAddress = ref.ownerAddress;
          if (v.locations !== undefined) r.locations = [...v.locations];
        } else r.error = v.error;
        return r;
      }),
    );
  }
}

const NO_REFS: readonly ObjectRef[] = Object.freeze([]);

function returnIdsOf(taskId: string, numReturns: number): string[] {
  if (numReturns === 1) return [objectIdFor(taskId, 0)];
  return Array.from({ length: numReturns }, (_, i) => objectIdFor(taskId, i));
}

function refsOf(slots: readonly Slot[], owner: string): ObjectRef[] {
  if (slots.length === 1) {
    const slot = slots[0] as Slot;
    return [new ObjectRef(slot.id, owner, slot)];
  }
  return slots.map((slot) => new ObjectRef(slot.id, owner, slot));
}

const NO_SLOTS: readonly Slot[] = Object.freeze([]);

const NO_DEPS: readonly { index: number; ref: ObjectRef }[] = Object.freeze([]);

function topLevelRefs(args: readonly unknown[]): readonly { index: number; ref: ObjectRef }[] {
  let deps: { index: number; ref: ObjectRef }[] | undefined;
  for (let index = 0; index < args.length; index++) {
    const a = args[index];
    if (a instanceof ObjectRef) (deps ??= []).push({ index, ref: a });
  }
  return deps ?? NO_DEPS;
}

async function localRayletAddress(gcs: RpcCaller<GcsService>): Promise<string> {
  const nodes = await gcs.call("getNodes", {});
  const node = nodes.find((n) => n.alive);
  if (node === undefined) throw new InitError({ reason: "the cluster has no alive node to run work on; start one with `lux start`" });
  return node.address;
}

/** A second listener on a Unix socket (same-node callers), replacing a stale file of a dead process. */
async function listenUnix(
  socketPath: string,
  peerOptions: ReturnType<typeof rpcPeerOptions>,
  handlers: Handlers<CoreWorkerService, RpcConnection<ServiceDef, CoreWorkerService>>,
): Promise<RpcServer<CoreWorkerService> | undefined> {
  try {
    fs.rmSync(socketPath, { force: true });
    return await RpcServer.listen<CoreWorkerService>({ ...peerOptions, address: socketPath, handlers });
  } catch (e) {
    log.warn(`not listening on ${socketPath} (${(e as Error).message}); same-node callers use TCP`);
    return undefined;
  }
}
