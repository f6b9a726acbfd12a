/**
 * The data Lux's services exchange. What travels in requests is declared as a schema (its
 * type inferred from it, see schema.ts), so a request is checked against the same
 * declaration its sender was type-checked against; what travels only in replies is a type.
 */
import { anything, arr, bool, bytes, int, lit, maybe, num, obj, opt, record, str, union, type Infer } from "./schema.js";

/** Resource quantities by name: CPU, GPU, memory (bytes) and custom resources. */
export const ResourceSet = record(num);
export type ResourceSet = Record<string, number>;

/**
 * Node labels (key to value), or a label selector (key to condition: `"v"`, `"!v"`,
 * `"in(a,b)"`, `"!in(a,b)"`; see @lux/common's label-selector.ts).
 */
export const Labels = record(str);

/** A serialized error, as produced by `toWireError` in @lux/common. */
export const WireErrorData = anything;
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
  /** The node's labels: its own (`lux start --labels`) and the built-in `lux.io/` ones. */
  labels: Record<string, string>;
  /** Where the node serves Prometheus metrics (`/metrics`), HOST:PORT. */
  metricsAddress?: string | undefined;
  /** Where the node's raylet takes object transfer channels, HOST:PORT (TLS clusters only: chunks sealed with AES-GCM under keys from the TLS session). */
  transferAddress?: string | undefined;
}

export const JobInfo = obj({
  jobId: str,
  namespace: str,
  driverAddress: str,
  /** Node flags the driver runs with (its module loader), given to the job's workers. */
  execArgv: arr(str),
  cwd: str,
  env: record(str),
  /** URL of the entry script, when it opted into being imported by workers with `lux.main`. */
  entryUrl: maybe(str),
  /** false: the job's worker output is not sent to its driver (`lux.init({ logToDriver: false })`); only written to log files. */
  logToDriver: opt(bool),
});
export type JobInfo = Infer<typeof JobInfo>;

/**
 * Where and with what environment a worker runs (`runtimeEnv`, merged from the job's and the
 * task's or actor's). Workers of different runtime envs are never shared.
 */
export const RuntimeEnvSpec = obj({
  /** sha256 (hex) of the zipped workingDir, stored in the control service KV as `pkg:<hash>`. */
  packageHash: opt(str),
  /** file URL (ending in "/") of the driver's workingDir: module URLs under it map into the unpacked copy. */
  workingDirUrl: opt(str),
  /** Environment variables set in the worker over the node's. */
  envVars: record(str),
  /** npm package specs (`name@version`, `file:/abs/pkg.tgz`) installed once per node; workers resolve bare imports from them first. */
  npm: opt(arr(str)),
  /** Run the install scripts of the npm packages (off by default: `npm install --ignore-scripts`). */
  npmAllowScripts: opt(bool),
  /** How long a raylet may take to install the npm packages before the work that needs them fails with RuntimeEnvSetupError. */
  setupTimeoutMs: opt(num),
});
export type RuntimeEnvSpec = Infer<typeof RuntimeEnvSpec>;

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
  /**
   * By value, made at run time by code of a module workers can import: that module's URL.
   * Workers evaluate the source inside the module's scope (its imports and top-level
   * declarations are visible; see core's module-scopes.ts).
   */
  scopeUrl?: string;
  /** The local variables around such a definition where it was made: refused by name if the source reads one. */
  locals?: string[];
  /** By value because it belongs to the driver's entry script, which does not call lux.main. */
  entryWithoutMain?: boolean;
}

/** A top-level `ObjectRef` argument, resolved by the owner before the task is pushed. */
export const ResolvedArg = obj({
  index: num,
  objectId: str,
  /** Serialized value, when small enough to travel inline. */
  value: opt(bytes),
  /** Set when the value lives in a node's object store instead. */
  nodeId: opt(str),
  size: opt(num),
  error: opt(WireErrorData),
  /** Stored values: the ref's owner (told when this node makes a copy) and nodes with copies. */
  ownerAddress: opt(str),
  locations: opt(arr(str)),
});
export type ResolvedArg = Infer<typeof ResolvedArg>;

export const ObjectRefWire = obj({ objectId: str, ownerAddress: str });
export type ObjectRefWire = Infer<typeof ObjectRefWire>;

/**
 * Worker to owner: item `index` (0-based) of a streaming generator task, stored as its
 * object (the task's return index `index + 1`): inline `value`, or in `nodeId`'s store.
 */
export const GeneratorItem = obj({
  taskId: str,
  index: int(),
  value: opt(bytes),
  nodeId: opt(str),
  size: opt(int()),
  /** Refs inside the value; the owner registers as their borrower, then sends releaseContained. */
  contained: opt(arr(ObjectRefWire)),
});
export type GeneratorItem = Infer<typeof GeneratorItem>;

/** The most return values a task may declare (`numReturns`), checked by the option and on the wire. */
export const MAX_NUM_RETURNS = 10_000;

export interface TaskSpec {
  taskId: string;
  jobId: string;
  functionId: string;
  name: string;
  /** Serialized argument array; top-level refs are replaced by `resolved` on the executor. */
  args: Uint8Array;
  resolved: ResolvedArg[];
  /** How many objects it returns (at most MAX_NUM_RETURNS): their ids are objectIdFor(taskId, 0 … numReturns − 1). */
  numReturns: number;
  ownerAddress: string;
  /** Refs nested inside `args` (not owned by the executor): it registers as a borrower. */
  borrowed: ObjectRefWire[];
  gpuIds: number[];
  /** A normal task's resources (what its lease holds), for its runtime context; unset for actor calls. */
  resources?: Record<string, number>;
  /** A normal task in a placement group. */
  placementGroup?: PlacementGroupPlacement;
  /** Actor method calls. */
  actorId?: string;
  method?: string;
  callerId?: string;
  seq?: number;
  /**
   * An actor call's concurrency group, when the call names one (`.options({ concurrencyGroup })`);
   * unset: the method's group from the actor's `methods` option, else the default group.
   */
  concurrencyGroup?: string;
  /** A generator function or method: its yields stream to the owner one by one (reportGeneratorItem). */
  generator?: GeneratorSpec;
  /**
   * A normal task's maxCalls (unset: no limit): its worker runs no more tasks once it has
   * started this many calls of the function, and is ended (Ray's max_calls).
   */
  maxCalls?: number;
  /**
   * Its owner reports its task events (issue 16), so its executor reports its runs; unset
   * past taskEventsRateMax: the executor reports only runs that fail or outlast an interval.
   */
  reported?: boolean;
}

/** What the worker of a streaming generator task needs to know beyond a plain task. */
export interface GeneratorSpec {
  /** generatorBackpressureNumObjects: most items the worker runs ahead of what the consumer took; 0: no limit. */
  backpressure: number;
  /**
   * Items the owner already has (from an earlier attempt): a retry runs the generator through
   * them again but neither stores nor reports them.
   */
  skip: number;
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
  /**
   * The function held the worker's thread (ran synchronously) for `pipelineRequeueAfterMs`
   * or longer: tasks pipelined behind a call of it could not be handed back in time. Left
   * off otherwise.
   */
  heldThread?: boolean;
  /**
   * The worker ran its last call (a function's maxCalls): it runs nothing more, and tasks
   * pushed to it are handed back. Its owner returns the lease with `workerExiting`.
   */
  workerExiting?: boolean;
}

/**
 * Where work may run: `"DEFAULT"` (the local node until it is about half used, then the
 * least-loaded node that fits), `"SPREAD"` (across the nodes that fit), or one node by id
 * (`soft`: fall back to the default policy when that node is gone or cannot run it).
 */
export const SchedulingStrategy = union(lit("DEFAULT", "SPREAD"), obj({ nodeId: str, soft: bool }));
export type SchedulingStrategy = Infer<typeof SchedulingStrategy>;

/**
 * Work scheduled into a placement group (`schedulingStrategy: { placementGroup }`): the
 * group, the bundle (-1: any), whether work it creates inherits the group, and the group's
 * bundles (for `lux.getCurrentPlacementGroup()` and for checking child requests).
 */
export const PlacementGroupPlacement = obj({
  placementGroupId: str,
  bundleIndex: num,
  captureChildTasks: bool,
  bundles: arr(ResourceSet),
});
export type PlacementGroupPlacement = Infer<typeof PlacementGroupPlacement>;

export const ActorCreationSpec = obj({
  actorId: str,
  jobId: str,
  functionId: str,
  className: str,
  args: bytes,
  resolved: arr(ResolvedArg),
  borrowed: arr(ObjectRefWire),
  ownerAddress: str,
  /**
   * The owner's worker id and node: a non-detached actor dies with its owner's process or node
   * (a driver's actors die with its job instead).
   */
  ownerWorkerId: opt(str),
  ownerNodeId: opt(str),
  /** What the actor holds while it runs (its worker's lease). */
  resources: ResourceSet,
  /**
   * What a node must have to be given the actor, if not `resources`: an actor created
   * without numCpus is placed as if it needed one CPU and holds none (as in Ray), so it never
   * lands on a node without CPUs and a node with one CPU hosts many such actors.
   */
  placementResources: opt(ResourceSet),
  name: maybe(str),
  namespace: str,
  getIfExists: bool,
  detached: bool,
  /**
   * Calls of the default concurrency group run at once; absent: 1,000 for an async actor (a
   * class with an async method), else 1.
   */
  maxConcurrency: opt(num),
  /** Other concurrency groups: name to the calls of that group run at once. */
  concurrencyGroups: opt(record(int(1))),
  /** The group each method's calls run in when the call names none (methods not listed: the default group). */
  methodConcurrencyGroups: opt(record(str)),
  /** Calls of one caller process not finished yet beyond which its next call throws (absent: no limit). */
  maxPendingCalls: opt(int(1)),
  maxRestarts: num,
  /**
   * Times a call in flight when the actor's worker died is re-sent after a restart; -1 =
   * forever. Default 0: such calls reject with ActorDiedError (at-most-once).
   */
  maxTaskRetries: opt(num),
  /** Where the control service may place the actor. Default "DEFAULT". */
  strategy: opt(SchedulingStrategy),
  /** The actor lives in a placement group's bundle (its resources are named after the bundle). */
  placementGroup: opt(PlacementGroupPlacement),
  /** Only nodes whose labels match may host it. */
  labelSelector: opt(Labels),
  /** GPU device ids of the actor's lease, filled in by the control service. */
  gpuIds: arr(num),
  /** The actor's worker runs in this runtime env. */
  runtimeEnv: opt(RuntimeEnvSpec),
  /** Set by the control service when it creates the actor again (a restart), for the runtime context. */
  reconstructed: opt(bool),
  /**
   * The class's method names, when its creator knew them: handles (also from getActor) refuse
   * any other method at the call.
   */
  methods: opt(arr(str)),
});
export type ActorCreationSpec = Infer<typeof ActorCreationSpec>;

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
  /** Its worker stopped making progress (its raylet's liveness probe): calls fail with ActorUnavailableError. */
  unavailable?: boolean;
  /** The class's method names, if its creator sent them (see ActorCreationSpec.methods). */
  methods?: string[];
  /** The names of its concurrency groups (besides the default one), if it has any. */
  concurrencyGroups?: string[];
  /** Its maxPendingCalls, if set: each caller's handles enforce it. */
  maxPendingCalls?: number;
}

export const LeaseRequest = obj({
  requestId: str,
  jobId: str,
  resources: ResourceSet,
  strategy: opt(SchedulingStrategy),
  /**
   * Placed on this node on purpose (a followed spillback, or the control service placing
   * an actor): the raylet queues it here when the node can ever run it instead of spilling.
   */
  noSpillback: opt(bool),
  /** Names the work in the warning logged when no node can ever run it. */
  description: str,
  actorId: opt(str),
  /** The lease hosts a detached actor: its worker outlives the job that created it. */
  detachedActor: opt(bool),
  /** The worker must run in this runtime env (unpacked workingDir, envVars). */
  runtimeEnv: opt(RuntimeEnvSpec),
  /** Work in a placement group (its resources are named after the group's bundles). */
  placementGroupId: opt(str),
  bundleIndex: opt(num),
  /** Only nodes whose labels match may run it. */
  labelSelector: opt(Labels),
  /**
   * Its work runs again if the worker is killed (tasks with maxRetries, actors with restarts
   * left): the node's memory monitor kills such workers first.
   */
  retriable: opt(bool),
  /**
   * Tasks of this shape queued at the owner beyond its requests in flight (an owner sends at
   * most maxPendingLeaseRequests per shape): pending demand counts them, so the autoscaler
   * sees a backlog of 1,000 tasks as 1,000, not as the 16 requests asking for workers.
   */
  backlog: opt(int()),
});
export type LeaseRequest = Infer<typeof LeaseRequest>;

/** A process of a node and its private memory (RSS not shared with others), for out-of-memory reports. */
export const ProcessMemory = obj({ pid: int(), rssBytes: num, name: str });
export type ProcessMemory = Infer<typeof ProcessMemory>;

/**
 * Why a node's memory monitor killed a worker: the node, its memory use against its
 * capacity and threshold when it did, and its largest processes then.
 */
export const OutOfMemoryInfo = obj({
  nodeId: str,
  nodeAddress: str,
  usedBytes: num,
  capacityBytes: num,
  /** The node's memoryUsageThreshold (a fraction of capacityBytes). */
  threshold: num,
  topUsers: arr(ProcessMemory),
});
export type OutOfMemoryInfo = Infer<typeof OutOfMemoryInfo>;

/** How a worker process ended, as its raylet knows it (`known: false`: it has no record of it). */
export interface WorkerExit {
  known: boolean;
  exitCode?: number;
  signal?: string;
  /** The node's memory monitor killed it. */
  outOfMemory?: OutOfMemoryInfo;
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

/**
 * One node in the cluster resource view the control service keeps on every raylet.
 * `memoryPressure`: its memory is above its threshold, so it takes no new leases (it has no
 * room now, whatever `available` says).
 */
/** `draining`: the autoscaler is draining the node before it ends it: no new work goes there. */
export const NodeResources = obj({ nodeId: str, address: str, total: ResourceSet, available: ResourceSet, alive: bool, labels: opt(Labels), memoryPressure: opt(bool), draining: opt(bool) });
export type NodeResources = Infer<typeof NodeResources>;

/**
 * Work waiting for resources: one entry per resource shape, or per pending placement group
 * (`resources`: its bundles added up; `bundles` and `strategy` say how they must be placed).
 */
export interface DemandEntry {
  resources: ResourceSet;
  count: number;
  /** No alive node can ever provide this shape (an autoscaler would add one). */
  infeasible: boolean;
  kind: "task" | "actor" | "placementGroup";
  /** The shape's label selector, if it has one. */
  labelSelector?: Record<string, string>;
  /** A placement group: the bundles it still needs (all of them while PENDING). */
  bundles?: ResourceSet[];
  strategy?: PlacementStrategy;
  /** A placement group: per bundle of `bundles`, the label selector its node must match ({} for none). */
  bundleLabelSelectors?: Record<string, string>[];
  /** A placement group rescheduling: nodes that hold its other bundles (STRICT_SPREAD must avoid them). */
  nodesInUse?: string[];
}

/** What holds a node, for the autoscaler's idle time. */
export interface NodeActivity {
  nodeId: string;
  leases: number;
  /** Placement groups with bundles on the node. */
  bundles: number;
  /** How long the node has held no lease and no bundle (0 while it holds some). */
  idleForMs: number;
  draining: boolean;
}

/** A node's answer to drainNode. */
export interface DrainReply {
  accepted: boolean;
  /** Why not now (the node is busy). */
  rejection?: string;
  /** Primary copies of objects moved to other nodes. */
  movedObjects: number;
  failedObjects: number;
}

export interface ResourceView {
  total: ResourceSet;
  available: ResourceSet;
}


/** How a placement group's bundles are spread over nodes. */
export const PlacementStrategy = lit("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD");
export type PlacementStrategy = "PACK" | "SPREAD" | "STRICT_PACK" | "STRICT_SPREAD";

export type PlacementGroupState = "PENDING" | "CREATED" | "RESCHEDULING" | "REMOVED";

/** A placement group as its creator asks for it. */
export const PlacementGroupSpec = obj({
  placementGroupId: str,
  name: opt(str),
  namespace: str,
  strategy: PlacementStrategy,
  bundles: arr(ResourceSet),
  jobId: str,
  /** `lifetime: "detached"`: the group outlives its job. */
  detached: bool,
  /** Per bundle index: a label selector its node must match. */
  bundleLabelSelector: opt(arr(Labels)),
});
export type PlacementGroupSpec = Infer<typeof PlacementGroupSpec>;

/** A row of `lux.placementGroupTable()`: `bundleNodeIds[i]` is null while bundle i holds nothing. */
export interface PlacementGroupInfo {
  placementGroupId: string;
  name: string | null;
  namespace: string;
  strategy: PlacementStrategy;
  state: PlacementGroupState;
  bundles: ResourceSet[];
  bundleNodeIds: (string | null)[];
}

/** One bundle a raylet is asked to reserve: its index in its group and what it holds. */
export const BundleRequest = obj({ index: int(), resources: ResourceSet });
