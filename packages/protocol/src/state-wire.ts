/**
 * The state API's data (issue 16, point 1): what `lux.state` and `lux list|get|summary`
 * ask the control service, and the items they get back, per kind.
 *
 * Every kind has a fixed list of fields that filters may name (STATE_FIELDS); items carry
 * those fields (null when unknown) and, with `detail`, a few more.
 */
import { arr, bool, int, obj, opt, str, tuple, type Infer } from "./schema.js";

/** What can be listed, in the order `lux list` names them. */
export const STATE_KINDS = ["tasks", "actors", "objects", "nodes", "jobs", "placement-groups", "workers"] as const;
export type StateKind = (typeof STATE_KINDS)[number];

/** Filter operators: equal, not equal. */
export const STATE_OPERATORS = ["=", "!="] as const;
export type StateOperator = (typeof STATE_OPERATORS)[number];

/** A filter: [field, operator, value], e.g. ["state", "=", "FAILED"]. */
export type StateFilter = readonly [string, StateOperator, string];

export const TASK_STATES = ["PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "RUNNING", "FINISHED", "FAILED"] as const;
export type TaskStateName = (typeof TASK_STATES)[number];

/** Why a process holds an object (`lux memory`'s ref types). */
export const REF_TYPES = ["LOCAL", "PINNED", "PENDING_TASK_ARG", "CAPTURED_IN_OBJECT", "BORROWED"] as const;
export type RefType = (typeof REF_TYPES)[number];

/** The fields filters may name, per kind (also the columns of `lux list`). */
export const STATE_FIELDS = {
  tasks: ["taskId", "name", "functionName", "state", "type", "jobId", "actorId", "parentTaskId", "nodeId", "workerId", "workerPid", "errorType"],
  actors: ["actorId", "className", "name", "namespace", "state", "jobId", "nodeId", "workerId", "detached"],
  objects: ["objectId", "size", "refType", "ownerAddress", "holderAddress", "nodeId", "pid", "workerId", "callSite"],
  nodes: ["nodeId", "address", "state", "storeKind"],
  jobs: ["jobId", "namespace", "state", "driverAddress", "droppedTasks"],
  "placement-groups": ["placementGroupId", "name", "namespace", "strategy", "state"],
  workers: ["workerId", "nodeId", "pid", "type", "state", "jobId", "address"],
} as const satisfies Record<StateKind, readonly string[]>;

/** Fields whose values are upper-case names (states, types): filters on them ignore case. */
export const STATE_ENUM_FIELDS: ReadonlySet<string> = new Set(["state", "type", "refType", "strategy"]);

/** Each kind's id field (`lux get <kind> <id>`). */
export const STATE_ID_FIELDS = {
  tasks: "taskId",
  actors: "actorId",
  objects: "objectId",
  nodes: "nodeId",
  jobs: "jobId",
  "placement-groups": "placementGroupId",
  workers: "workerId",
} as const satisfies Record<StateKind, string>;

/** `listState`'s request. `kind`, fields and operators are checked by the control service (InvalidStateQueryError). */
export const StateQuery = obj({
  kind: str,
  filters: arr(tuple([str, str, str])),
  limit: int(1),
  pageToken: opt(str),
  detail: bool,
});
export type StateQuery = Infer<typeof StateQuery>;

/**
 * One page of a listing: the items after the page token that pass the filters (at most
 * the limit), the token of the next page (null after the last), how many items pass the
 * filters in all, and how many tasks the control service no longer has (tasks only: evicted
 * past taskEventsMax or never reported; for the jobs the filters select, else all).
 */
export interface StatePage<T = Record<string, unknown>> {
  items: T[];
  nextPageToken: string | null;
  total: number;
  dropped: number;
}

export interface TaskStateItem {
  taskId: string;
  /** The task's name: its function's, its `name` option, or the actor method's. */
  name: string | null;
  /** The function's name, or Class.method for an actor call. */
  functionName: string | null;
  state: TaskStateName;
  type: "NORMAL_TASK" | "ACTOR_TASK";
  jobId: string | null;
  actorId: string | null;
  parentTaskId: string | null;
  /** Where it ran last. */
  nodeId: string | null;
  workerId: string | null;
  workerPid: number | null;
  /** The error's class name, when FAILED. */
  errorType: string | null;
  creationTimeMs: number | null;
  startTimeMs: number | null;
  endTimeMs: number | null;
  /** With detail: */
  errorMessage?: string | null;
  /** With detail: the stack of the error the task threw, as its worker reported it (the first TASK_ERROR_STACK_MAX characters). */
  errorStack?: string | null;
  /** With detail: each state it went through, with when. */
  events?: { state: TaskStateName; timeMs: number }[];
  /** With detail: each time it ran (a retried task runs more than once). */
  executions?: TaskExecution[];
}

export interface TaskExecution {
  nodeId: string;
  workerId: string;
  pid: number;
  startTimeMs: number;
  /** null while it runs. */
  endTimeMs: number | null;
  status: "RUNNING" | "FINISHED" | "FAILED";
}

export interface ActorStateItem {
  actorId: string;
  className: string;
  name: string | null;
  namespace: string;
  state: string;
  jobId: string;
  nodeId: string | null;
  workerId: string | null;
  detached: boolean;
  /** With detail: */
  address?: string | null;
  resources?: Record<string, number>;
  maxRestarts?: number;
  deathCause?: string | null;
  placementGroupId?: string | null;
}

/** One (object, process holding it) pair; PINNED rows come from the node's store. */
export interface ObjectStateItem {
  objectId: string;
  /** Bytes (serialized), null while unknown (a pending task result). */
  size: number | null;
  refType: RefType;
  ownerAddress: string;
  /** The process that holds the reference. */
  holderAddress: string;
  /** The node of the process that holds the reference. */
  nodeId: string;
  pid: number | null;
  workerId: string | null;
  /** Where the ref was made (LUX_RECORD_REF_CREATION_SITES=1 in the owner), else null. */
  callSite: string | null;
  /** With detail: nodes whose store holds a copy ([] for a value kept inline by its owner). */
  storedOn?: string[];
  /** With detail: "SEALED", "SPILLED", … in its store, or "INLINE" / "PENDING" at its owner. */
  status?: string;
}

export interface NodeStateItem {
  nodeId: string;
  address: string;
  state: "ALIVE" | "DEAD";
  storeKind: string;
  /** What the node has in all (CPU, GPU, memory in bytes, custom resources). */
  resources: Record<string, number>;
  /** What of it is free, as the node last reported ({} for a dead node); placement groups' bundles count as used. */
  availableResources: Record<string, number>;
  labels: Record<string, string>;
  startedAtMs: number;
  /** With detail: */
  storeCapacity?: number;
  /** With detail: bytes its object store holds now (null when the node did not answer in time, or is dead). */
  storeUsedBytes?: number | null;
}

export interface JobStateItem {
  jobId: string;
  namespace: string;
  state: "RUNNING" | "FINISHED";
  driverAddress: string;
  /** Tasks of the job whose records the control service dropped (past taskEventsMax, or never reported). */
  droppedTasks: number;
  /** With detail: */
  cwd?: string;
  entryUrl?: string | null;
}

export interface PlacementGroupStateItem {
  placementGroupId: string;
  name: string | null;
  namespace: string;
  strategy: string;
  state: string;
  bundles: Record<string, number>[];
  bundleNodeIds: (string | null)[];
}

export interface WorkerStateItem {
  workerId: string;
  nodeId: string;
  pid: number | null;
  /** "WORKER" (of the node's pool) or "DRIVER". */
  type: "WORKER" | "DRIVER";
  /** STARTING, IDLE, LEASED, STOPPING; a driver: ALIVE. */
  state: string;
  jobId: string | null;
  address: string | null;
}

/** The item type of each kind. */
export interface StateItems {
  tasks: TaskStateItem;
  actors: ActorStateItem;
  objects: ObjectStateItem;
  nodes: NodeStateItem;
  jobs: JobStateItem;
  "placement-groups": PlacementGroupStateItem;
  workers: WorkerStateItem;
}

/** Kinds `summarizeState` accepts. */
export const SUMMARY_KINDS = ["tasks", "actors", "objects"] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];

/** Counts by state, per function (tasks) or class (actors), and overall. */
export interface CountSummary {
  /** Function (tasks: functionName) or class (actors) → state → count. */
  byName: Record<string, Record<string, number>>;
  byState: Record<string, number>;
  total: number;
  /** Tasks: as StatePage.dropped. */
  dropped: number;
}

/** One node's object store. */
export interface NodeStoreSummary {
  nodeId: string;
  objects: number;
  usedBytes: number;
  capacityBytes: number;
  spilledBytes: number;
}

export interface ObjectSummary {
  /** Ref type → references and their bytes. */
  byRefType: Record<string, { count: number; bytes: number }>;
  /** Call site ("(unknown)" without LUX_RECORD_REF_CREATION_SITES=1) → references and bytes. */
  byCallSite: Record<string, { count: number; bytes: number }>;
  /** Distinct objects referenced, and their bytes. */
  objects: number;
  bytes: number;
  nodes: NodeStoreSummary[];
}

export interface StateSummaries {
  tasks: CountSummary;
  actors: CountSummary;
  objects: ObjectSummary;
}

/** A Chrome trace event (Perfetto, chrome://tracing): one complete event ("X") per task execution. */
export interface TraceEvent {
  name: string;
  cat: string;
  ph: "X";
  /** Start and duration, in microseconds. */
  ts: number;
  dur: number;
  /** The node id. */
  pid: string;
  /** The worker id. */
  tid: string;
  args: { taskId: string; status: string; jobId: string | null; workerPid: number };
}

/** What a raylet knows of one object of its store (for `listObjects`). */
export interface StoredObjectReport {
  objectId: string;
  ownerAddress: string;
  size: number;
  /** "CREATED", "SEALED", "SPILLING", "SPILLED", "RESTORING". */
  status: string;
  /** Addresses of the node's processes that map it now (their views pin it). */
  pinnedBy: string[];
}

/** What a core worker holds: one entry per object it references (for `listObjects`). */
export interface ObjectRefReport {
  objectId: string;
  ownerAddress: string;
  size: number | null;
  refType: RefType;
  callSite: string | null;
  /** "INLINE", "STORED" (on `storedOn`), "PENDING" (a result to come), "ERROR". */
  status: string;
  storedOn: string[];
}

/** A core worker's answer to listObjectRefs. */
export interface ProcessRefsReport {
  address: string;
  workerId: string;
  pid: number;
  refs: ObjectRefReport[];
}

/** A raylet's answer to listObjects: its store and the references of its processes. */
export interface NodeObjectsReport {
  nodeId: string;
  store: NodeStoreSummary;
  stored: StoredObjectReport[];
  processes: ProcessRefsReport[];
}
