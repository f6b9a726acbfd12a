/**
 * The RPC services of a Lux cluster, each declared once as a value: per method, the schema
 * of its request (checked at dispatch, before the handler) and the type of its reply. The
 * type of the same name (`GcsService`, …) maps each method to `(request) => reply`, so
 * `RpcConnection<GcsService>` type-checks calls; `serve(GcsService, handlers)` serves it.
 */
import { arr, bool, bytes, empty, int, lit, num, obj, opt, str, tuple } from "./schema.js";
import { returns, rpc, rpcBytes, defineService, type ServiceOf } from "./service.js";
import { TaskSpecWire } from "./task-wire.js";
import type { TaskReplyWire } from "./task-reply-wire.js";
import { TaskEventBatch } from "./task-events-wire.js";
import { MetricsReport } from "./metrics-wire.js";
import { LogReadRequest, WorkerOutputBatch, type LogChunk, type NodeLogFiles } from "./log-wire.js";
import {
  StateQuery,
  type NodeObjectsReport,
  type ProcessRefsReport,
  type StatePage,
  type StateSummaries,
  type SummaryKind,
  type TraceEvent,
  type WorkerStateItem,
} from "./state-wire.js";
import {
  ActorCreationSpec,
  BundleRequest,
  GeneratorItem,
  JobInfo,
  Labels,
  PlacementGroupSpec,
  LeaseRequest,
  NodeResources,
  OutOfMemoryInfo,
  ResourceSet,
  type ActorInfo,
  type DemandEntry,
  type DrainReply,
  type LeaseReply,
  type NodeActivity,
  type NodeInfo,
  type ObjectPending,
  type PlacementGroupInfo,
  type ResourceView,
  type ReturnValue,
  type TaskReply,
  type WorkerExit,
} from "./wire-types.js";

/** A raylet's object transfers so far (getNodeInfo). */
export interface TransferStats {
  pulls: number;
  bytes: number;
  fromRelays: number;
  bytesSent: number;
}

/** Largest key of a namespaced KV entry (`lux.util.kv`), in UTF-8 bytes. */
export const KV_MAX_KEY_BYTES = 1024;
/**
 * The KV namespace of listeners that libraries and applications opened (lux.util.listeners,
 * e.g. @lux/serve's HTTP proxy): `lux status --listeners` lists them beside Lux's own.
 * Each value is a RegisteredListener's JSON.
 */
export const LISTENERS_KV_NAMESPACE = "lux.listeners";

/** A listener registered with lux.util.listeners (the JSON of its KV entry). */
export interface RegisteredListener {
  nodeId: string;
  /** What listens there, e.g. "serve: HTTP proxy". */
  what: string;
  /** HOST:PORT, or a URL. */
  address: string;
  /** The process that listens. */
  pid: number;
}
/** Largest value of a namespaced KV entry (`lux.util.kv`), in bytes. */
export const KV_MAX_VALUE_BYTES = 16 * 1024 * 1024;

type Ok = { ok: true };
const ok = returns<Ok>();
const objectIds = obj({ objectIds: arr(str) });

/** Control service: cluster metadata and coordination; no task passes through it. */
export const GcsService = defineService({
  /**
   * `metricsAddress`: where the node serves Prometheus metrics (HOST:PORT), if it does;
   * `transferAddress`: where its raylet takes object transfer channels (TLS clusters only).
   */
  registerNode: rpc(obj({ nodeId: str, address: str, resources: ResourceSet, storeKind: str, storeCapacity: num, labels: opt(Labels), metricsAddress: opt(str), transferAddress: opt(str) }), ok),
  registerJob: rpc(JobInfo, ok),
  /**
   * Who is serving: `incarnation` changes with every start, so a client that reconnected
   * can tell a restart; `persistent` says whether its tables (actors, names, jobs, KV)
   * survived it (Redis storage) or were lost (memory).
   */
  getControlServiceInfo: rpc(
    empty,
    /** `config`: the entries the cluster was started with that differ from their defaults (a driver that connects takes them). */
    returns<{ incarnation: string; startedAtMs: number; storage: string; persistent: boolean; config: Record<string, number | string | boolean> }>(),
  ),
  getJob: rpc(obj({ jobId: str }), returns<JobInfo>()),
  getNodes: rpc(empty, returns<NodeInfo[]>()),
  /**
   * From core workers (owners of objects): from now on the control service sends this
   * connection `nodeDied` for every node it declares dead. Replies with the nodes dead so far.
   */
  subscribeNodeDeaths: rpc(empty, returns<{ deadNodeIds: string[] }>()),
  /**
   * From core workers: from now on the control service sends this connection
   * `actorNameChanged` whenever an actor takes a name or its name is freed. Replies with the
   * names in use now, [namespace, name, actorId] each.
   */
  subscribeActorNames: rpc(empty, returns<{ names: [string, string, string][] }>()),
  getClusterResources: rpc(empty, returns<ResourceView>()),
  /** From raylets (debounced): the node's resources changed, or its memory went above or below its threshold. */
  reportResources: rpc(obj({ nodeId: str, total: ResourceSet, available: ResourceSet, memoryPressure: opt(bool) }), ok),
  /** Work waiting for resources across the cluster (queued leases, pending actors and placement groups). */
  getPendingDemand: rpc(empty, returns<DemandEntry[]>()),
  /** Every alive node's activity (asked of each raylet; a node that does not answer is left out). */
  getNodeActivity: rpc(empty, returns<NodeActivity[]>()),
  /**
   * From the autoscaler: drain an idle node before it is terminated (see RayletService
   * drainNode). While it drains, no actor or bundle is placed there; `accepted: false` (busy)
   * leaves it as it was.
   */
  drainNode: rpc(obj({ nodeId: str, reason: str }), returns<DrainReply>()),
  /** The cluster resource view: every node the control service knows, alive or not. */
  getClusterView: rpc(empty, returns<NodeResources[]>()),
  /**
   * The KV store. Without `namespace`: Lux's own entries (definitions, runtime-env packages);
   * with one: `lux.util.kv`'s entries of that namespace, whose keys and values the control
   * service bounds (KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES). `added`: the key was not set before.
   */
  kvPut: rpc(obj({ key: str, value: bytes, overwrite: bool, namespace: opt(str) }), returns<{ added: boolean }>()),
  kvGet: rpc(obj({ key: str, namespace: opt(str) }), returns<{ value: Uint8Array | undefined }>()),
  /** Whether a key is set, without its value (e.g. a runtime-env package already uploaded). */
  kvExists: rpc(obj({ key: str, namespace: opt(str) }), returns<{ exists: boolean }>()),
  /** Removes a key; `deleted`: it was set. */
  kvDel: rpc(obj({ key: str, namespace: opt(str) }), returns<{ deleted: boolean }>()),
  /** The keys (whole) that start with `prefix`, in no particular order. */
  kvKeys: rpc(obj({ prefix: str, namespace: opt(str) }), returns<{ keys: string[] }>()),
  createActor: rpc(ActorCreationSpec, returns<{ actorId: string }>()),
  /**
   * With `waitAlive`, replies once the actor is ALIVE or DEAD; with `staleAddress` too (an
   * address the caller found dead), once it is DEAD or ALIVE somewhere else (restarted).
   * A long-poll: after `waitMs` it replies with the state it has (PENDING or RESTARTING; for
   * an id not registered yet, PENDING with an empty className) and the caller asks again.
   */
  getActorInfo: rpc(obj({ actorId: str, waitAlive: bool, staleAddress: opt(str), waitMs: opt(num) }), returns<ActorInfo>()),
  getNamedActor: rpc(obj({ name: str, namespace: str }), returns<ActorInfo>()),
  killActor: rpc(obj({ actorId: str, noRestart: bool }), ok),
  /**
   * From an actor's worker (`lux.exitActor()`): the actor ends for good, not restarted; the
   * worker exits by itself once its last reply is sent.
   */
  reportActorExit: rpc(obj({ actorId: str, workerId: str }), ok),
  /**
   * From an actor's creator: no handle to the actor is left in any process (every one was
   * collected and every call through one is done). A non-detached actor ends; its name is
   * free again. Ignored for detached actors and for ids that only alias an actor.
   */
  reportActorOutOfScope: rpc(obj({ actorId: str }), ok),
  /**
   * From raylets: a worker process ended. `outOfMemory`: the node's memory monitor killed it
   * (reported before the kill, so the actor it hosts is known dead or restarting by the time
   * its callers ask).
   */
  reportWorkerDeath: rpc(obj({ workerId: str, nodeId: str, reason: str, outOfMemory: opt(OutOfMemoryInfo) }), ok),
  /**
   * From raylets: a worker stopped making progress (`responsive: false`, see the config entry
   * workerLivenessTimeoutMs) or makes progress again. Subscribers hear of its actor's availability.
   */
  reportWorkerLiveness: rpc(obj({ workerId: str, nodeId: str, responsive: bool }), ok),
  /** Registers a placement group (PENDING); the control service reserves it once it fits. */
  createPlacementGroup: rpc(PlacementGroupSpec, returns<{ placementGroupId: string }>()),
  /** Frees the group's bundles on their nodes; idempotent (a removed or unknown group: ok). */
  removePlacementGroup: rpc(obj({ placementGroupId: str }), ok),
  /** By id, or by name in a namespace; rejects with PlacementGroupNotFoundError. */
  getPlacementGroup: rpc(obj({ placementGroupId: opt(str), name: opt(str), namespace: str }), returns<PlacementGroupInfo>()),
  placementGroupTable: rpc(empty, returns<PlacementGroupInfo[]>()),
  /** A long-poll: replies once the group is CREATED or REMOVED, or after `waitMs` with its state then. */
  waitPlacementGroup: rpc(obj({ placementGroupId: str, waitMs: num }), returns<PlacementGroupInfo>()),
  // The state API (issue 16; docs/observability.md).
  /** From every core worker, every taskEventsReportIntervalMs: state changes of tasks, in one columnar batch. */
  reportTaskEvents: rpc(TaskEventBatch, ok),
  /** One page of a kind's items, filtered before the limit; InvalidStateQueryError for an unknown kind, field or operator. */
  listState: rpc(StateQuery, returns<StatePage>()),
  /** One item by id, with detail; `item` undefined when there is none. */
  getState: rpc(obj({ kind: str, id: str }), returns<{ item: Record<string, unknown> | undefined }>()),
  /** Counts of tasks or actors by name and state, or the objects' totals by ref type, call site and node. */
  summarizeState: rpc(obj({ kind: str, filters: arr(tuple([str, str, str])) }), returns<StateSummaries[SummaryKind]>()),
  /** Chrome trace events, one per task execution (of one job, if given). */
  taskTimeline: rpc(obj({ jobId: opt(str) }), returns<{ events: TraceEvent[] }>()),
});
export type GcsService = ServiceOf<typeof GcsService>;

/** Node daemon: worker leases, resources, the node's object store. */
export const RayletService = defineService({
  requestLease: rpc(LeaseRequest, returns<LeaseReply>()),
  cancelLeaseRequest: rpc(obj({ requestId: str }), returns<{ cancelled: boolean }>()),
  /** The owner's backlog for the shape of its request `requestId` changed (see LeaseRequest.backlog). */
  reportBacklog: rpc(obj({ requestId: str, backlog: int() }), ok),
  /**
   * `disconnect`: the worker is killed. `workerExiting`: it ran its last call (a function's
   * maxCalls): its resources are freed now, it is never leased again, and it is stopped once
   * it owns no objects in use.
   */
  returnLease: rpc(obj({ leaseId: str, disconnect: bool, workerExiting: opt(bool) }), ok),
  /** `socketPath`: the worker's Unix socket, for processes of the same node (faster than TCP). */
  registerWorker: rpc(obj({ workerId: str, address: str, socketPath: opt(str), pid: int() }), returns<{ nodeId: string; labels: Record<string, string> }>()),
  workerBlocked: rpc(obj({ workerId: str }), ok),
  workerUnblocked: rpc(obj({ workerId: str }), ok),
  killWorker: rpc(obj({ workerId: str, reason: str }), returns<{ killed: boolean }>()),
  /**
   * How a worker of this node ended (waits a moment for a worker whose connection closed but
   * whose exit is not seen yet). `known: false` when the raylet has no record of it.
   */
  getWorkerExit: rpc(obj({ workerId: str }), returns<WorkerExit>()),
  getResources: rpc(empty, returns<ResourceView>()),
  /** Lease requests queued here, by resource shape. */
  getPendingDemand: rpc(empty, returns<DemandEntry[]>()),
  /** What holds the node (leases, bundles) and for how long it has held nothing (the autoscaler's idle time). */
  getNodeActivity: rpc(empty, returns<NodeActivity>()),
  /**
   * From the control service (for the autoscaler): if the node is idle, it takes no more work
   * and moves the primary copies of its objects to other nodes; `accepted` once done. A busy
   * node answers `accepted: false` with why.
   */
  drainNode: rpc(obj({ reason: str }), returns<DrainReply>()),
  /** Health check from the control service. */
  ping: rpc(empty, ok),
  /**
   * From the control service: nodes whose resources or liveness changed (`full`: the whole
   * view, replacing what the raylet had). A node with `alive: false` leaves the view.
   */
  updateClusterView: rpc(obj({ nodes: arr(NodeResources), full: bool }), ok),
  /** Where this node's object store arena is, for processes of the node to map. */
  getStoreInfo: rpc(empty, returns<{ path: string; capacity: number; kind: string }>()),
  /** A driver tells the raylet its own address (objects it owns die with it). */
  registerClient: rpc(obj({ address: str, workerId: opt(str), pid: opt(int()), jobId: opt(str) }), returns<{ nodeId: string; labels: Record<string, string> }>()),
  /**
   * Allocates an object in the arena; the caller writes it, then seals it. With `wait`
   * false (a caller blocking a thread on the reply) the reply comes at once, or after
   * spilling makes room (at most objectStoreSpillWaitMs); offset -1 when there is no room.
   */
  createObject: rpc(obj({ objectId: str, size: int(), ownerAddress: str, wait: bool }), returns<{ offset: number }>()),
  sealObject: rpc(obj({ objectId: str }), ok),
  /** Pins the object for the caller (until releaseObjects) and says where it is; offset -1 if absent. */
  getObject: rpc(obj({ objectId: str }), returns<{ offset: number; size: number }>()),
  releaseObjects: rpc(objectIds, ok),
  /** Frees objects of this node's store, or (with `nodeId` of another node) forwards the free to it. */
  freeObjects: rpc(obj({ objectIds: arr(str), nodeId: opt(str) }), ok),
  /**
   * Makes an object stored on other nodes local: pulled in chunks from the first of `sources`
   * (node ids) that has it, unless already here; then pinned for the caller as getObject does.
   * Rejects with ObjectLostError when no source has it. `priority` "get" goes before "arg".
   */
  pullObject: rpc(
    /** `primary`: the copy becomes this node's primary (moved from a node being drained): spilled under pressure, never dropped. */
    obj({ objectId: str, sources: arr(str), ownerAddress: str, priority: lit("get", "arg"), primary: opt(bool) }),
    returns<{ offset: number; size: number }>(),
  ),
  /**
   * Raylet to raylet, to pull an object: pins it here for the caller until releaseObjects (a
   * sealed copy, restored first if spilled; or a copy this node is pulling itself, whose
   * chunks are then served as they arrive) and says its size (-1: not here). `relay`: another
   * node pulling the object from here right now, which the caller may read it from instead
   * (so concurrent pulls of one object form a chain rather than all reading this node).
   */
  openTransfer: rpc(obj({ objectId: str, puller: str }), returns<{ size: number; relay?: string }>()),
  /**
   * Raylet to raylet: bytes of an object the caller pinned (getObject or openTransfer), raw
   * after the reply's frame (see BytesReply); from a copy still being pulled, once they arrived.
   */
  readObjectChunk: rpcBytes(obj({ objectId: str, offset: int(), length: int() })),
  /**
   * Raylet to raylet over TLS: a channel for chunk reads outside the TLS socket (see
   * packages/raylet/src/bulk-channel.ts): a plain TCP port of this raylet to dial, and the
   * channel's id. Keys come from this connection's TLS session, so only its peer can use
   * the channel, and its reads act as this connection's (its pins). Refused without TLS.
   */
  openBulkChannel: rpc(empty, returns<{ port: number; channel: string }>()),
  jobFinished: rpc(obj({ jobId: str }), ok),
  /**
   * From a driver whose job just registered: start the job's workers now, one per CPU of the
   * node (config workerPrestartLimit), so its first tasks find them booted. Once per job.
   */
  prestartWorkers: rpc(obj({ jobId: str }), ok),
  /**
   * From the control service, phase one of reserving a placement group: takes the bundles'
   * resources here if they all fit now (`prepared`), else takes nothing. Held until
   * commitBundles or returnBundles.
   */
  prepareBundles: rpc(obj({ placementGroupId: str, bundles: arr(BundleRequest) }), returns<{ prepared: boolean }>()),
  /** Phase two: every node prepared its part; the reservation holds until returnBundles. */
  commitBundles: rpc(obj({ placementGroupId: str }), ok),
  /**
   * Frees what the group holds here (only `bundleIndexes` if given), prepared or committed
   * (idempotent). `removed`: the group
   * was removed (sent to every node): its queued lease requests fail and its workers are killed.
   */
  returnBundles: rpc(obj({ placementGroupId: str, bundleIndexes: opt(arr(int())), removed: opt(bool) }), ok),
  getNodeInfo: rpc(
    empty,
    returns<{
      nodeId: string;
      pid: number;
      workerPids: number[];
      /** What the node's object store holds now (for leak checks and status). */
      objectStore: { objects: number; bytes: number };
      /**
       * Objects pulled from other nodes so far and their bytes, how many of those pulls read
       * from a relay (a node pulling the same object at the time), and the bytes of objects
       * this node sent to others (for tests and benchmarks).
       */
      transfers: TransferStats;
    }>(),
  ),
  /**
   * From each process of the node (sent as a notification every metricsReportIntervalMs, and
   * when it shuts down): the metrics it recorded since its previous report (see metrics-wire.ts).
   */
  reportMetrics: rpc(MetricsReport, ok),
  /** From the control service (the state API): this node's workers and drivers. */
  listWorkers: rpc(empty, returns<WorkerStateItem[]>()),
  /** From the control service (the state API): this node's store, and the references its processes hold (asked of each). */
  listObjects: rpc(empty, returns<NodeObjectsReport>()),
  /** The node's log files (the session's logs folder: this node's own, and those of the session's other daemons). */
  listLogs: rpc(empty, returns<NodeLogFiles>()),
  /** Lines of one of the node's log files or of one worker's output (see LogReadRequest); LogNotFoundError if there is none. */
  readLog: rpc(LogReadRequest, returns<LogChunk>()),
  /**
   * From a driver that is shutting down, or over the connection this raylet sends it output
   * on: send the job's worker output read so far, and reply once the driver has it.
   */
  drainWorkerOutput: rpc(obj({ jobId: str }), ok),
});
export type RayletService = ServiceOf<typeof RayletService>;

/** Core worker (in the driver and every worker): executes tasks, owns objects. */
export const CoreWorkerService = defineService({
  /**
   * The spec in its wire form (see task-wire.ts: encodeTaskSpec / decodeTaskSpec); the reply
   * too (task-reply-wire.ts: a TaskReply, or a single inline return's bytes alone).
   */
  pushTask: rpc(TaskSpecWire, returns<TaskReplyWire>()),
  createActor: rpc(ActorCreationSpec, ok),
  /** Owner to worker: the task was cancelled (it is not interrupted: its signal aborts). */
  cancelTask: rpc(obj({ taskId: str, recursive: bool }), ok),
  /** To the owner of a task's results (`lux.cancel` on a ref in another process): cancel that task. */
  cancelOwnedTask: rpc(obj({ objectId: str, force: bool, recursive: bool }), ok),
  /**
   * Owner side: replies once the object is ready (or failed). A long-poll: after `waitMs`
   * it replies `pending` instead and the caller asks again.
   */
  getObjectStatus: rpc(obj({ objectId: str, waitMs: num }), returns<ReturnValue | ObjectPending>()),
  /** To the owner: node `nodeId` now holds a copy of the object (freed with it). */
  addObjectLocation: rpc(obj({ objectId: str, nodeId: str }), ok),
  /**
   * To the owner: no copy of the object could be read from `nodeIds`. Once the control
   * service confirms those nodes dead, the owner re-creates the object from its lineage (or
   * records why it cannot); replies when the reader may locate the object again.
   */
  reportObjectLost: rpc(obj({ objectId: str, nodeIds: arr(str) }), ok),
  /** From the control service (after subscribeNodeDeaths): a node was declared dead. */
  nodeDied: rpc(obj({ nodeId: str, reason: str }), ok),
  /** To the owner (`lux.free` in another process): free these objects now, as freeNow does. */
  freeOwnedObjects: rpc(objectIds, ok),
  addBorrow: rpc(objectIds, ok),
  removeBorrow: rpc(objectIds, ok),
  releaseContained: rpc(objectIds, ok),
  /**
   * Worker to owner, over the connection the generator task was pushed on: one item it
   * yielded, in order. The reply comes once the worker may run the generator on (at once,
   * or with generatorBackpressureNumObjects once the consumer has taken enough); `stop`: the
   * owner wants no more (the consumer ended or dropped the generator, or the task ended).
   */
  reportGeneratorItem: rpc(GeneratorItem, returns<{ stop: boolean }>()),
  exit: rpc(obj({ reason: str }), ok),
  /** Asked before an idle worker is stopped: false while it owns objects others still use. */
  canExit: rpc(empty, returns<{ ok: boolean }>()),
  /** The node's object store is short of space: collect garbage so dropped refs free objects. */
  collectGarbage: rpc(empty, ok),
  /** A daemon's warning meant for the user (e.g. an infeasible request). */
  logWarning: rpc(obj({ message: str }), ok),
  /** From the raylet: a liveness probe, answered from the event loop (a stopped process answers nothing). */
  ping: rpc(empty, ok),
  /**
   * From the control service (after subscribeNodeDeaths): the actor's worker stopped making
   * progress (`available: false`) or makes progress again.
   */
  actorAvailability: rpc(obj({ actorId: str, available: bool }), ok),
  /** From the control service (after subscribeActorNames): `name` is now held by `actorId`, or free (no actorId). */
  actorNameChanged: rpc(obj({ namespace: str, name: str, actorId: opt(str) }), ok),
  /** From the raylet (the state API's objects): the references this process holds, with why. */
  listObjectRefs: rpc(empty, returns<ProcessRefsReport>()),
  /** From a raylet, to the driver of a job: lines its workers there wrote, to print (see log-wire.ts). */
  workerOutput: rpc(WorkerOutputBatch, ok),
});
export type CoreWorkerService = ServiceOf<typeof CoreWorkerService>;
