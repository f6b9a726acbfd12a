/**
 * The RPC services of a Lux cluster and the data they exchange. Each interface maps a
 * method to `(request) => reply`; `RpcConnection<GcsService>` then type-checks calls.
 */
import type { TaskSpecWire } from "./task-wire.js";

/** Resource quantities by name: CPU, GPU, memory (bytes) and custom resources. */
export type ResourceSet = Record<string, number>;

/** A serialized error, as produced by `toWireError` in @lux/common. */
export type WireErrorData = unknown;

export interface NodeInfo {
  nodeId: string;
  /** RPC address of the node's raylet. */
  address: string;
  alive: boolean;
  resources: ResourceSet;
  startedAtMs: number;
  storeKind: string;
  storeCapacity: number;
}

export interface JobInfo {
  jobId: string;
  namespace: string;
  driverAddress: string;
  /** Node flags the driver runs with (its module loader), given to the job's workers. */
  execArgv: string[];
  cwd: string;
  env: Record<string, string>;
  /** URL of the entry script, when it opted into being imported by workers with `lux.main`. */
  entryUrl: string | undefined;
}

/**
 * Where and with what environment a worker runs (`runtimeEnv`, merged from the job's and the
 * task's or actor's). Workers of different runtime envs are never shared.
 */
export interface RuntimeEnvSpec {
  /** sha256 (hex) of the zipped workingDir, stored in the control service KV as `pkg:<hash>`. */
  packageHash?: string;
  /** file URL (ending in "/") of the driver's workingDir: module URLs under it map into the unpacked copy. */
  workingDirUrl?: string;
  /** Environment variables set in the worker over the node's. */
  envVars: Record<string, string>;
}

/** How a worker finds the code of a remote function or actor class. */
export interface FunctionDescriptor {
  functionId: string;
  kind: "function" | "class";
  name: string;
  /**
   * For a `lux.remote` call made while a module was being evaluated: that module's URL (a
   * worker imports it) and `line:column#occurrence` of the call (`URL:line:column#occurrence`
   * when the call sits in another module, e.g. a factory the module's top-level code called).
   */
  moduleUrl: string | undefined;
  position: string | undefined;
  /** JavaScript source, the fallback when the module cannot be imported. */
  source: string;
  /** True when the definition can only be rebuilt from source. */
  byValue: boolean;
}

/** A top-level `ObjectRef` argument, resolved by the owner before the task is pushed. */
export interface ResolvedArg {
  index: number;
  objectId: string;
  /** Serialized value, when small enough to travel inline. */
  value?: Uint8Array;
  /** Set when the value lives in a node's object store instead. */
  nodeId?: string;
  size?: number;
  error?: WireErrorData;
  /** Stored values: the ref's owner (told when this node makes a copy) and nodes with copies. */
  ownerAddress?: string;
  locations?: string[];
}

export interface ObjectRefWire {
  objectId: string;
  ownerAddress: string;
}

export interface TaskSpec {
  taskId: string;
  jobId: string;
  functionId: string;
  name: string;
  /** Serialized argument array; top-level refs are replaced by `resolved` on the executor. */
  args: Uint8Array;
  resolved: ResolvedArg[];
  returnIds: string[];
  ownerAddress: string;
  /** Refs nested inside `args` (not owned by the executor): it registers as a borrower. */
  borrowed: ObjectRefWire[];
  gpuIds: number[];
  /** Actor method calls. */
  actorId?: string;
  method?: string;
  callerId?: string;
  seq?: number;
}

export interface ReturnValue {
  objectId: string;
  value?: Uint8Array;
  nodeId?: string;
  size?: number;
  error?: WireErrorData;
  /** Refs inside the value; the owner of the return registers as their borrower. */
  contained?: ObjectRefWire[];
  /** Stored values (owner's replies): other nodes holding a copy besides `nodeId`. */
  locations?: string[];
}

/** A long-poll's answer: the object's value is not known yet; ask again. */
export interface ObjectPending {
  objectId: string;
  pending: true;
}

export interface TaskReply {
  returns: ReturnValue[];
  /** The worker hands a pipelined task back unstarted (the task before it ran long or blocked). */
  requeue?: boolean;
  /** Set when a nested ref's owner should be told this executor released its pins. */
  hasContained?: boolean;
}

export interface ActorCreationSpec {
  actorId: string;
  jobId: string;
  functionId: string;
  className: string;
  args: Uint8Array;
  resolved: ResolvedArg[];
  borrowed: ObjectRefWire[];
  ownerAddress: string;
  resources: ResourceSet;
  name: string | undefined;
  namespace: string;
  getIfExists: boolean;
  detached: boolean;
  maxConcurrency: number;
  maxRestarts: number;
  /**
   * Times a call in flight when the actor's worker died is re-sent after a restart; -1 =
   * forever. Default 0: such calls reject with ActorDiedError (at-most-once).
   */
  maxTaskRetries?: number;
  /** Where the control service may place the actor. Default "DEFAULT". */
  strategy?: SchedulingStrategy;
  /** GPU device ids of the actor's lease, filled in by the control service. */
  gpuIds: number[];
  /** The actor's worker runs in this runtime env. */
  runtimeEnv?: RuntimeEnvSpec;
}

export type ActorState = "PENDING" | "ALIVE" | "RESTARTING" | "DEAD";

export interface ActorInfo {
  actorId: string;
  state: ActorState;
  className: string;
  name: string | undefined;
  namespace: string;
  address: string | undefined;
  /** The actor worker's Unix socket, for callers on its node. */
  socketPath?: string | undefined;
  workerId: string | undefined;
  nodeId: string | undefined;
  deathCause: WireErrorData | undefined;
  /** The actor's maxTaskRetries: callers re-send calls in flight when it died this many times. */
  maxTaskRetries?: number;
}

/**
 * Where work may run: `"DEFAULT"` (the local node until it is about half used, then the
 * least-loaded node that fits), `"SPREAD"` (across the nodes that fit), or one node by id
 * (`soft`: fall back to the default policy when that node is gone or cannot run it).
 */
export type SchedulingStrategy = "DEFAULT" | "SPREAD" | { nodeId: string; soft: boolean };

export interface LeaseRequest {
  requestId: string;
  jobId: string;
  resources: ResourceSet;
  strategy?: SchedulingStrategy;
  /**
   * Placed on this node on purpose (a followed spillback, or the control service placing
   * an actor): the raylet queues it here when the node can ever run it instead of spilling.
   */
  noSpillback?: boolean;
  /** Names the work in the warning logged when no node can ever run it. */
  description: string;
  actorId?: string;
  /** The lease hosts a detached actor: its worker outlives the job that created it. */
  detachedActor?: boolean;
  /** The worker must run in this runtime env (unpacked workingDir, envVars). */
  runtimeEnv?: RuntimeEnvSpec;
}

export interface LeaseGrant {
  leaseId: string;
  workerId: string;
  workerAddress: string;
  /** The worker's Unix socket: use it instead of workerAddress from the same node. */
  workerSocket?: string;
  nodeId: string;
  gpuIds: number[];
}

/** The raylet's answer when another node should run the lease: ask that node's raylet. */
export interface LeaseSpillback {
  spillback: { nodeId: string; address: string };
}

/** The requester withdrew the request (cancelLeaseRequest) before it was granted. */
export interface LeaseCancelled {
  cancelled: true;
}

export type LeaseReply = LeaseGrant | LeaseSpillback | LeaseCancelled;

/** One node in the cluster resource view the control service keeps on every raylet. */
export interface NodeResources {
  nodeId: string;
  address: string;
  total: ResourceSet;
  available: ResourceSet;
  alive: boolean;
}

/** Work waiting for resources: one entry per resource shape. */
export interface DemandEntry {
  resources: ResourceSet;
  count: number;
  /** No alive node can ever provide this shape (an autoscaler would add one). */
  infeasible: boolean;
  kind: "task" | "actor";
}

export interface ResourceView {
  total: ResourceSet;
  available: ResourceSet;
}

/** Control service: cluster metadata and coordination; no task passes through it. */
export interface GcsService {
  registerNode(req: { nodeId: string; address: string; resources: ResourceSet; storeKind: string; storeCapacity: number }): { ok: true };
  registerJob(req: JobInfo): { ok: true };
  /**
   * Who is serving: `incarnation` changes with every start, so a client that reconnected
   * can tell a restart; `persistent` says whether its tables (actors, names, jobs, KV)
   * survived it (Redis storage) or were lost (memory).
   */
  getControlServiceInfo(req: Record<string, never>): { incarnation: string; startedAtMs: number; storage: string; persistent: boolean };
  getJob(req: { jobId: string }): JobInfo;
  getNodes(req: Record<string, never>): NodeInfo[];
  /**
   * From core workers (owners of objects): from now on the control service sends this
   * connection `nodeDied` for every node it declares dead. Replies with the nodes dead so far.
   */
  subscribeNodeDeaths(req: Record<string, never>): { deadNodeIds: string[] };
  getClusterResources(req: Record<string, never>): ResourceView;
  /** From raylets (debounced): the node's resources changed. */
  reportResources(req: { nodeId: string; total: ResourceSet; available: ResourceSet }): { ok: true };
  /** Work waiting for resources across the cluster (queued leases and pending actors). */
  getPendingDemand(req: Record<string, never>): DemandEntry[];
  /** The cluster resource view: every node the control service knows, alive or not. */
  getClusterView(req: Record<string, never>): NodeResources[];
  kvPut(req: { key: string; value: Uint8Array; overwrite: boolean }): { added: boolean };
  kvGet(req: { key: string }): { value: Uint8Array | undefined };
  /** Whether a key is set, without its value (e.g. a runtime-env package already uploaded). */
  kvExists(req: { key: string }): { exists: boolean };
  createActor(req: ActorCreationSpec): { actorId: string };
  /**
   * With `waitAlive`, replies once the actor is ALIVE or DEAD; with `staleAddress` too (an
   * address the caller found dead), once it is DEAD or ALIVE somewhere else (restarted).
   * A long-poll: after `waitMs` it replies with the state it has (PENDING or RESTARTING; for
   * an id not registered yet, PENDING with an empty className) and the caller asks again.
   */
  getActorInfo(req: { actorId: string; waitAlive: boolean; staleAddress?: string; waitMs?: number }): ActorInfo;
  getNamedActor(req: { name: string; namespace: string }): ActorInfo;
  killActor(req: { actorId: string; noRestart: boolean }): { ok: true };
  /**
   * From an actor's worker (`lux.exitActor()`): the actor ends for good, not restarted; the
   * worker exits by itself once its last reply is sent.
   */
  reportActorExit(req: { actorId: string; workerId: string }): { ok: true };
  /** From raylets: a worker process ended. */
  reportWorkerDeath(req: { workerId: string; nodeId: string; reason: string }): { ok: true };
}

/** Node daemon: worker leases, resources, the node's object store. */
export interface RayletService {
  requestLease(req: LeaseRequest): LeaseReply;
  cancelLeaseRequest(req: { requestId: string }): { cancelled: boolean };
  returnLease(req: { leaseId: string; disconnect: boolean }): { ok: true };
  /** `socketPath`: the worker's Unix socket, for processes of the same node (faster than TCP). */
  registerWorker(req: { workerId: string; address: string; socketPath?: string; pid: number }): { nodeId: string };
  workerBlocked(req: { workerId: string }): { ok: true };
  workerUnblocked(req: { workerId: string }): { ok: true };
  killWorker(req: { workerId: string; reason: string }): { killed: boolean };
  /**
   * How a worker of this node ended (waits a moment for a worker whose connection closed but
   * whose exit is not seen yet). `known: false` when the raylet has no record of it.
   */
  getWorkerExit(req: { workerId: string }): { known: boolean; exitCode?: number; signal?: string };
  getResources(req: Record<string, never>): ResourceView;
  /** Lease requests queued here, by resource shape. */
  getPendingDemand(req: Record<string, never>): DemandEntry[];
  /** Health check from the control service. */
  ping(req: Record<string, never>): { ok: true };
  /**
   * From the control service: nodes whose resources or liveness changed (`full`: the whole
   * view, replacing what the raylet had). A node with `alive: false` leaves the view.
   */
  updateClusterView(req: { nodes: NodeResources[]; full: boolean }): { ok: true };
  /** Where this node's object store arena is, for processes of the node to map. */
  getStoreInfo(req: Record<string, never>): { path: string; capacity: number; kind: string };
  /** A driver tells the raylet its own address (objects it owns die with it). */
  registerClient(req: { address: string }): { nodeId: string };
  /**
   * Allocates an object in the arena; the caller writes it, then seals it. With `wait`
   * false the reply is at once (offset -1 when there is no room now).
   */
  createObject(req: { objectId: string; size: number; ownerAddress: string; wait: boolean }): { offset: number };
  sealObject(req: { objectId: string }): { ok: true };
  /** Pins the object for the caller (until releaseObjects) and says where it is; offset -1 if absent. */
  getObject(req: { objectId: string }): { offset: number; size: number };
  releaseObjects(req: { objectIds: string[] }): { ok: true };
  /** Frees objects of this node's store, or (with `nodeId` of another node) forwards the free to it. */
  freeObjects(req: { objectIds: string[]; nodeId?: string }): { ok: true };
  /**
   * Makes an object stored on other nodes local: pulled in chunks from the first of `sources`
   * (node ids) that has it, unless already here; then pinned for the caller as getObject does.
   * Rejects with ObjectLostError when no source has it. `priority` "get" goes before "arg".
   */
  pullObject(req: { objectId: string; sources: string[]; ownerAddress: string; priority: "get" | "arg" }): { offset: number; size: number };
  /** Raylet to raylet: bytes of an object the caller pinned with getObject. */
  readObjectChunk(req: { objectId: string; offset: number; length: number }): { data: Uint8Array };
  jobFinished(req: { jobId: string }): { ok: true };
  getNodeInfo(req: Record<string, never>): {
    nodeId: string;
    pid: number;
    workerPids: number[];
    /** What the node's object store holds now (for leak checks and status). */
    objectStore: { objects: number; bytes: number };
    /** Objects pulled from other nodes so far, and their bytes (for tests). */
    transfers: { pulls: number; bytes: number };
  };
}

/** Core worker (in the driver and every worker): executes tasks, owns objects. */
export interface CoreWorkerService {
  /** The spec in its wire form (see task-wire.ts: encodeTaskSpec / decodeTaskSpec). */
  pushTask(req: TaskSpecWire): TaskReply;
  createActor(req: ActorCreationSpec): { ok: true };
  cancelTask(req: { taskId: string; recursive: boolean }): { ok: true };
  /**
   * Owner side: replies once the object is ready (or failed). A long-poll: after `waitMs`
   * it replies `pending` instead and the caller asks again.
   */
  getObjectStatus(req: { objectId: string; waitMs: number }): ReturnValue | ObjectPending;
  /** To the owner: node `nodeId` now holds a copy of the object (freed with it). */
  addObjectLocation(req: { objectId: string; nodeId: string }): { ok: true };
  /**
   * To the owner: no copy of the object could be read from `nodeIds`. Once the control
   * service confirms those nodes dead, the owner re-creates the object from its lineage (or
   * records why it cannot); replies when the reader may locate the object again.
   */
  reportObjectLost(req: { objectId: string; nodeIds: string[] }): { ok: true };
  /** From the control service (after subscribeNodeDeaths): a node was declared dead. */
  nodeDied(req: { nodeId: string; reason: string }): { ok: true };
  addBorrow(req: { objectIds: string[] }): { ok: true };
  removeBorrow(req: { objectIds: string[] }): { ok: true };
  releaseContained(req: { objectIds: string[] }): { ok: true };
  exit(req: { reason: string }): { ok: true };
  /** Asked before an idle worker is stopped: false while it owns objects others still use. */
  canExit(req: Record<string, never>): { ok: boolean };
  /** The node's object store is short of space: collect garbage so dropped refs free objects. */
  collectGarbage(req: Record<string, never>): { ok: true };
  /** A daemon's warning meant for the user (e.g. an infeasible request). */
  logWarning(req: { message: string }): { ok: true };
}
