/**
 * Typed Lux errors, each declared once with `defineError`: a stable code (in ERROR_CODES,
 * documented in docs/errors.md), a name, typed fields and a message that says what to do
 * next. An error sent across the wire (wire-error.ts) comes back as the same class. The
 * base class, the factory and the connection errors live in @lux/protocol, re-exported here.
 */
import { inspect } from "node:util";
import { type LuxErrorOptions, defineError, describeError } from "@lux/protocol";
import { ensureError } from "./wire-error.js";

export {
  ERROR_CODES,
  type ErrorCode,
  LuxError,
  type LuxErrorOptions,
  type LuxErrorClass,
  type DeclaredErrorClass,
  type DeclareOptions,
  type ErrorFields,
  defineError,
  describeError,
  errorClassForCode,
  registeredErrorCodes,
  ConnectionClosedError,
  ConnectFailedError,
  RpcTimeoutError,
  ProtocolError,
  InvalidRequestError,
} from "@lux/protocol";
export { type WireError, toWireError, fromWireError, ensureError } from "./wire-error.js";

function listIds(ids: readonly string[], max = 3): string {
  const shown = ids.slice(0, max).join(", ");
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

function formatBytes(n: number): string {
  let v = n;
  let unit = "bytes";
  for (const u of ["KiB", "MiB", "GiB", "TiB"]) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return unit === "bytes" ? `${n} bytes` : `${n} bytes (${v.toFixed(1)} ${unit})`;
}

/**
 * A remote task or actor method threw. `cause` is the remote error re-created
 * locally: same name, message, stack and own enumerable properties.
 */
export const TaskError = defineError(
  "LUX_TASK_FAILED",
  "TaskError",
  (f: { readonly taskId: string; readonly functionName: string; readonly cause: unknown }, { cause }: { cause: Error }) =>
    `task ${f.functionName} (id ${f.taskId}) failed: ${cause.name}: ${cause.message}`,
  {
    // What the task threw, as an Error (a thrown non-Error value is converted).
    fields: (f) => ({ taskId: f.taskId, functionName: f.functionName, cause: ensureError(f.cause) }),
  },
);
export type TaskError = InstanceType<typeof TaskError>;

/** `lux.get` (or another wait on objects) hit its `timeoutMs`. */
export const GetTimeoutError = defineError(
  "LUX_GET_TIMEOUT",
  "GetTimeoutError",
  (f: {
    readonly timeoutMs: number;
    /** The objects that were not ready when the timeout fired. */
    readonly objectIds: readonly string[];
  }) =>
    `get timed out after ${f.timeoutMs} ms; ${f.objectIds.length} object${f.objectIds.length === 1 ? " was" : "s were"} ` +
    `not ready: ${listIds(f.objectIds)}. The tasks that create them may still be running or waiting for resources: ` +
    "pass a larger timeoutMs, use lux.wait() to take results as they finish, or check `lux status` for pending work.",
  { fields: (f) => ({ timeoutMs: f.timeoutMs, objectIds: [...f.objectIds] }) },
);
export type GetTimeoutError = InstanceType<typeof GetTimeoutError>;

/** The actor is dead (crashed, killed, or its node or owner died) and will not restart. */
export const ActorDiedError = defineError(
  "LUX_ACTOR_DIED",
  "ActorDiedError",
  (f: { readonly actorId: string; readonly actorName?: string } & LuxErrorOptions) =>
    `actor ${f.actorName !== undefined ? `"${f.actorName}" (id ${f.actorId})` : f.actorId} died` +
    `${f.cause !== undefined ? `: ${describeError(f.cause)}` : ""}. Calls to it fail from now on. To survive ` +
    "crashes create it with maxRestarts > 0 (and maxTaskRetries to retry calls), or create a new actor.",
);
export type ActorDiedError = InstanceType<typeof ActorDiedError>;

/** The task was cancelled with `lux.cancel` before it produced a result. */
export const TaskCancelledError = defineError(
  "LUX_TASK_CANCELLED",
  "TaskCancelledError",
  (f: { readonly taskId: string }) =>
    `task ${f.taskId} was cancelled, so its result will never be available. Submit the task again if you still need it.`,
);
export type TaskCancelledError = InstanceType<typeof TaskCancelledError>;

/** The worker process running the task exited before the task finished. */
export const WorkerCrashedError = defineError(
  "LUX_WORKER_CRASHED",
  "WorkerCrashedError",
  (f: { readonly taskId: string; readonly exitCode?: number; readonly signal?: string }) => {
    const how = [f.exitCode !== undefined ? `exit code ${f.exitCode}` : "", f.signal !== undefined ? `signal ${f.signal}` : ""];
    const shown = how.filter((s) => s !== "").join(", ");
    return (
      `the worker running task ${f.taskId} exited unexpectedly${shown !== "" ? ` (${shown})` : ""} and the task's retries ` +
      "are used up. Check the worker's log in the session directory for the reason (e.g. process.exit() or a native " +
      "crash in user code, or the OS killing it); raise maxRetries to retry it more often."
    );
  },
);
export type WorkerCrashedError = InstanceType<typeof WorkerCrashedError>;

/** A process of a node and its private memory, as an OutOfMemoryError lists the node's largest. */
export interface ProcessMemoryUse {
  readonly pid: number;
  readonly rssBytes: number;
  /** What it runs: "task f", "actor C", "idle worker", "raylet". */
  readonly name: string;
}

/** What an out-of-memory kill was: the task or actor, and the node's memory then. */
export interface OutOfMemoryFields {
  /** The function's name; for an actor, `Class.method` (the call in flight) or the class. */
  readonly task: string;
  readonly taskId?: string;
  /** Set when the worker hosted an actor of this class. */
  readonly actorClass?: string;
  readonly nodeId: string;
  /** The node's raylet address. */
  readonly nodeAddress: string;
  /** What the node's memory monitor measured when it killed the worker. */
  readonly usedBytes: number;
  readonly capacityBytes: number;
  /** The node's memoryUsageThreshold: kills start above this fraction of capacityBytes. */
  readonly threshold: number;
  /** The node's largest processes then, largest first. */
  readonly topUsers: readonly ProcessMemoryUse[];
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function outOfMemoryMessage(f: OutOfMemoryFields): string {
  const what = f.actorClass === undefined ? `task ${f.task}` : f.task === f.actorClass ? `actor ${f.actorClass}` : `actor method ${f.task}`;
  const users = f.topUsers.map((u) => `pid ${u.pid} (${u.name}) ${formatBytes(u.rssBytes)}`).join("; ");
  return (
    `the worker running ${what}${f.taskId !== undefined ? ` (id ${f.taskId})` : ""} was killed by the memory monitor of node ` +
    `${f.nodeId} (${f.nodeAddress}): the node used ${formatBytes(f.usedBytes)} of ${formatBytes(f.capacityBytes)} ` +
    `(${percent(f.usedBytes / f.capacityBytes)}), above its memory usage threshold of ${percent(f.threshold)}` +
    `${users !== "" ? `. Largest processes: ${users}` : ""}. To avoid it: run fewer such tasks at once per node (ask ` +
    "for more numCpus, or declare what each needs with the memory option so the scheduler places fewer together), " +
    "use less memory in the task, raise the node's threshold (memoryUsageThreshold, `lux start --memory-usage-threshold`), " +
    "or add memory or nodes."
  );
}

/**
 * The node ran low on memory and its memory monitor killed the worker running the task
 * (after its retries, if it had any; an actor's calls reject with ActorDiedError caused by it).
 */
export const OutOfMemoryError = defineError("LUX_OUT_OF_MEMORY", "OutOfMemoryError", outOfMemoryMessage, {
  // Only the declared fields (a copy made by spreading another instance brings its `code` along).
  fields: (f: OutOfMemoryFields) => ({
    task: f.task,
    taskId: f.taskId,
    actorClass: f.actorClass,
    nodeId: f.nodeId,
    nodeAddress: f.nodeAddress,
    usedBytes: f.usedBytes,
    capacityBytes: f.capacityBytes,
    threshold: f.threshold,
    topUsers: f.topUsers.map((u) => ({ pid: u.pid, rssBytes: u.rssBytes, name: u.name })),
  }),
});
export type OutOfMemoryError = InstanceType<typeof OutOfMemoryError>;

/** Every copy of the object is gone and it cannot be re-created from its lineage. */
export const ObjectLostError = defineError(
  "LUX_OBJECT_LOST",
  "ObjectLostError",
  (f: {
    readonly objectId: string;
    /** Why it cannot be re-created (e.g. "it was made by put()"), added to the message. */
    readonly reason?: string;
  }) =>
    f.reason !== undefined
      ? `object ${f.objectId} was lost and cannot be re-created: ${f.reason}.`
      : `object ${f.objectId} was lost: every copy is gone (e.g. its node died) and it cannot be re-created, because ` +
        "it was made by put() or its task used up maxRetries. Create it again; for task results, raise maxRetries so " +
        "Lux can recompute them.",
);
export type ObjectLostError = InstanceType<typeof ObjectLostError>;

/** The process that owned the object (created it) died, so the object is gone. */
export const OwnerDiedError = defineError(
  "LUX_OWNER_DIED",
  "OwnerDiedError",
  (f: {
    readonly objectId: string;
    readonly reason?: string;
    /** Address of the process that owned the object. */
    readonly ownerAddress: string;
  }) =>
    `object ${f.objectId} was lost because its owner at ${f.ownerAddress} (the process that created it) died. ` +
    "Objects live only as long as their owner: keep that process alive while others use its objects, or create " +
    "them in a longer-lived process such as a detached actor.",
  { extends: ObjectLostError },
);
export type OwnerDiedError = InstanceType<typeof OwnerDiedError>;

/** The object was freed with `lux.free` while refs to it were still held. */
export const ObjectFreedError = defineError(
  "LUX_OBJECT_FREED",
  "ObjectFreedError",
  (f: { readonly objectId: string; readonly reason?: string }) =>
    `object ${f.objectId} was freed with lux.free(), so its value is gone. Free objects only once nothing reads ` +
    "them any more, or let Lux free them when their last ObjectRef is dropped.",
  { extends: ObjectLostError },
);
export type ObjectFreedError = InstanceType<typeof ObjectFreedError>;

/** The node's shared-memory object store has no room for the object, even after spilling. */
export const ObjectStoreFullError = defineError(
  "LUX_OBJECT_STORE_FULL",
  "ObjectStoreFullError",
  (f: {
    readonly objectId: string;
    /** Size of the object that did not fit, in bytes. */
    readonly size: number;
    /** Capacity of the object store, in bytes. */
    readonly capacity: number;
    /** Set when the store could not spill objects to make room: the node's spill folder. */
    readonly spillDir?: string;
    /** Free bytes in `spillDir` when spilling failed. */
    readonly spillDirFreeBytes?: number;
  }) =>
    f.spillDir !== undefined
      ? `the object store is full and spilling objects to disk failed: object ${f.objectId} of ${formatBytes(f.size)} ` +
        `does not fit (capacity ${formatBytes(f.capacity)}), and the spill folder ${f.spillDir} has ` +
        `${f.spillDirFreeBytes !== undefined ? formatBytes(f.spillDirFreeBytes) : "an unknown amount of space"} free. ` +
        "Objects already stored stay readable. Free disk space there, give the node a spill folder on a larger disk, " +
        "or drop ObjectRefs you no longer need so their objects can be freed."
      : `the object store is full: object ${f.objectId} of ${formatBytes(f.size)} does not fit (capacity ` +
        `${formatBytes(f.capacity)}, the rest is held by objects still in use). Drop ObjectRefs you no longer need so ` +
        "their objects can be freed, split the value into smaller objects, or give the node a larger object store.",
);
export type ObjectStoreFullError = InstanceType<typeof ObjectStoreFullError>;

/** The actor's name is kept as `actorName`: a `name` field would hide the error's name. */
type ActorName = { readonly name: string; readonly namespace: string };
const actorName = { fields: (f: ActorName) => ({ actorName: f.name, namespace: f.namespace }) };

/** Creating a named actor failed: the name is already used in that namespace. */
export const ActorNameTakenError = defineError(
  "LUX_ACTOR_NAME_TAKEN",
  "ActorNameTakenError",
  (f: ActorName) =>
    `an actor named "${f.name}" already exists in namespace "${f.namespace}". Pick another name, pass ` +
    "getIfExists: true to get the existing actor, or kill it first.",
  actorName,
);
export type ActorNameTakenError = InstanceType<typeof ActorNameTakenError>;

/** No live actor has this name in this namespace. */
export const ActorNotFoundError = defineError(
  "LUX_ACTOR_NOT_FOUND",
  "ActorNotFoundError",
  (f: ActorName) =>
    `no actor named "${f.name}" in namespace "${f.namespace}". Check the name and the namespace ` +
    "(lux.init({ namespace }) or the namespace option), and that the actor was created and is still alive " +
    '(a named actor dies with its owner unless lifetime is "detached").',
  actorName,
);
export type ActorNotFoundError = InstanceType<typeof ActorNotFoundError>;

/** Which placement group: by name in a namespace, or by id. */
type PlacementGroupRef = { readonly name?: string | undefined; readonly namespace: string; readonly placementGroupId?: string | undefined };
const describeGroup = (f: PlacementGroupRef): string =>
  f.name !== undefined ? `named "${f.name}" in namespace "${f.namespace}"` : `with id ${f.placementGroupId ?? "?"}`;
const groupFields = {
  fields: (f: PlacementGroupRef) => ({ groupName: f.name, namespace: f.namespace, placementGroupId: f.placementGroupId }),
};

/** Creating a named placement group failed: a live group already has the name in that namespace. */
export const PlacementGroupNameTakenError = defineError(
  "LUX_PLACEMENT_GROUP_NAME_TAKEN",
  "PlacementGroupNameTakenError",
  (f: PlacementGroupRef) =>
    `a placement group ${describeGroup(f)} already exists. Pick another name, or remove that group first ` +
    "(lux.removePlacementGroup); a removed group's name can be reused.",
  groupFields,
);
export type PlacementGroupNameTakenError = InstanceType<typeof PlacementGroupNameTakenError>;

/** No live placement group has this name (or id). */
export const PlacementGroupNotFoundError = defineError(
  "LUX_PLACEMENT_GROUP_NOT_FOUND",
  "PlacementGroupNotFoundError",
  (f: PlacementGroupRef) =>
    `no placement group ${describeGroup(f)}. Check the name and the namespace, and that the group was not removed ` +
    '(a group ends with its job unless lifetime is "detached").',
  groupFields,
);
export type PlacementGroupNotFoundError = InstanceType<typeof PlacementGroupNotFoundError>;

/** A task scheduled into a placement group that was removed before or while it ran. */
export const PlacementGroupRemovedError = defineError(
  "LUX_PLACEMENT_GROUP_REMOVED",
  "PlacementGroupRemovedError",
  (f: { readonly placementGroupId: string; readonly what: string }) =>
    `${f.what} cannot run: its placement group ${f.placementGroupId} was removed (lux.removePlacementGroup, or the end ` +
    "of the job that created it). Work in a group ends with it; create a new group to run it again.",
  { fields: (f: { readonly placementGroupId: string; readonly what: string }) => ({ placementGroupId: f.placementGroupId, what: f.what }) },
);
export type PlacementGroupRemovedError = InstanceType<typeof PlacementGroupRemovedError>;

/** An option passed to a Lux API is invalid. */
export const InvalidOptionError = defineError(
  "LUX_INVALID_OPTION",
  "InvalidOptionError",
  (f: {
    /** The option's name, e.g. "numCpus" or "resources.GPU". */
    readonly option: string;
    /** What the option accepts, e.g. "a number >= 0". */
    readonly expected: string;
    /** The value given; shown in the message, not kept as a field. */
    readonly received?: unknown;
  }) => {
    const got = "received" in f ? `, got ${inspect(f.received, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 })}` : "";
    return `invalid option ${f.option}: expected ${f.expected}${got}. Fix the option and call again.`;
  },
  { fields: (f) => ({ option: f.option, expected: f.expected }) },
);
export type InvalidOptionError = InstanceType<typeof InvalidOptionError>;

/**
 * A config value is invalid (usually a `LUX_*` environment variable), or an explicit config
 * (`lux.init({ systemConfig })`, `lux start --system-config`, `LocalCluster.start({ config })`)
 * names an entry that does not exist.
 */
export const InvalidConfigError = defineError(
  "LUX_INVALID_CONFIG",
  "InvalidConfigError",
  (f: {
    /** The config entry, e.g. "workerLeaseIdleMs" (for an unknown one: the name given). */
    readonly key: string;
    /** The environment variable the value came from, if any. */
    readonly envVar?: string;
    /** The rejected value, as text (a known entry with a bad value). */
    readonly value?: string;
    /** What the entry accepts (a known entry with a bad value). */
    readonly expected?: string;
    /** The declared entry nearest to an unknown key. */
    readonly suggestion?: string;
  }) =>
    f.suggestion !== undefined
      ? `unknown config entry ${JSON.stringify(f.key)}: did you mean ${f.suggestion}? Every entry is listed in docs/config.md.`
      : `invalid value ${JSON.stringify(f.value)} for ${f.envVar !== undefined ? `environment variable ${f.envVar}` : `config ${f.key}`}: ` +
        `expected ${f.expected}. ${f.envVar !== undefined ? `Fix or unset ${f.envVar}.` : "Fix the value."}`,
);
export type InvalidConfigError = InstanceType<typeof InvalidConfigError>;

/** A Lux API that needs a running cluster was called before `lux.init()`. */
export const NotInitializedError = defineError(
  "LUX_NOT_INITIALIZED",
  "NotInitializedError",
  (f: {
    /** The API that was called, e.g. "lux.get". */
    readonly operation?: string;
  }) =>
    `${f.operation !== undefined ? `${f.operation}() was called but ` : ""}Lux is not initialized. ` +
    "Call `await lux.init()` first (after lux.shutdown(), init again).",
);
export type NotInitializedError = InstanceType<typeof NotInitializedError>;

/**
 * `lux.init()` cannot connect this process: it was already called, `address: "auto"` finds
 * no cluster, no token is known for the address, or the cluster has no alive node.
 */
export const InitError = defineError("LUX_INIT_FAILED", "InitError", (f: { /** Why, with what to do next. */ readonly reason: string }) => f.reason);
export type InitError = InstanceType<typeof InitError>;

/** This process lost its connection to its raylet or the control service; pending work fails. */
export const ClusterLostError = defineError(
  "LUX_CLUSTER_LOST",
  "ClusterLostError",
  (f: {
    /** Which daemon the connection was to: "raylet" or "control service". */
    readonly component: string;
    readonly address: string;
    /** What happened, when not a closed connection, e.g. "it did not answer createObject within 10000 ms". */
    readonly reason?: string;
  }) =>
    `lost the connection to the ${f.component} at ${f.address}${f.reason !== undefined ? ` (${f.reason})` : ""}, so this task or object cannot complete. The cluster ` +
    "(or its node) stopped or crashed: check `lux status` and the session logs, then call lux.shutdown() and " +
    "lux.init() again.",
);
export type ClusterLostError = InstanceType<typeof ClusterLostError>;

/** A value could not be serialized (or deserialized) to pass between processes. */
export const SerializationError = defineError(
  "LUX_SERIALIZATION",
  "SerializationError",
  (f: {
    /** Where in the value the problem is, e.g. "args[1].onDone". */
    readonly path: string;
    /** What is wrong there, e.g. "functions cannot be sent to another process" (in the message only). */
    readonly reason: string;
  }) =>
    `cannot serialize the value at ${f.path}: ${f.reason}. Pass data (primitives, plain objects, arrays, typed ` +
    "arrays, Map, Set, Date), ObjectRefs or actor handles; keep other state inside an actor.",
  { fields: (f) => ({ path: f.path }) },
);
export type SerializationError = InstanceType<typeof SerializationError>;

/** A task or actor with hard node affinity (`schedulingStrategy: { nodeId, soft: false }`) cannot run on that node. */
export const NodeAffinityError = defineError(
  "LUX_NODE_AFFINITY_FAILED",
  "NodeAffinityError",
  (f: {
    /** The node the task or actor was pinned to. */
    readonly nodeId: string;
    /** What was pinned, e.g. "task f" or "actor Counter". */
    readonly what: string;
    /** Why it cannot run there, e.g. "the node is dead" (in the message only). */
    readonly reason: string;
  }) =>
    `${f.what} must run on node ${f.nodeId} (schedulingStrategy { nodeId, soft: false }), but ${f.reason}. ` +
    "Pick an alive node from lux.nodes(), or pass soft: true to fall back to another node.",
  { fields: (f) => ({ nodeId: f.nodeId, what: f.what }) },
);
export type NodeAffinityError = InstanceType<typeof NodeAffinityError>;

/**
 * A `runtimeEnv` could not be prepared: its `workingDir` is over the size cap or cannot be
 * read, or a node could not fetch or unpack its package.
 */
export const RuntimeEnvSetupError = defineError(
  "LUX_RUNTIME_ENV_SETUP_FAILED",
  "RuntimeEnvSetupError",
  (f: {
    /** What could not be set up, e.g. "packing workingDir /app" or "unpacking package pkg:ab12… on node n1". */
    readonly what: string;
    /** Why, with what to do next (in the message only). */
    readonly reason: string;
  }) => `runtimeEnv: ${f.what} failed: ${f.reason}`,
  { fields: (f) => ({ what: f.what }) },
);
export type RuntimeEnvSetupError = InstanceType<typeof RuntimeEnvSetupError>;

/**
 * `lux.init()` needed to start a private cluster (or find the one `lux start` started), but
 * no launcher is registered: `@lux/core` was used without the `lux` package, which registers
 * `@lux/launcher` when it is imported.
 */
export const NoLauncherError = defineError(
  "LUX_NO_LAUNCHER",
  "NoLauncherError",
  (f: { /** What `lux.init()` needed the launcher for, e.g. "start a private cluster". */ readonly need: string }) =>
    `lux.init() needs to ${f.need}, but no cluster launcher is registered in this process. ` +
    'Import Lux from the "lux" package (it registers @lux/launcher), not from @lux/core; or pass the address of a running cluster.',
);
export type NoLauncherError = InstanceType<typeof NoLauncherError>;

/** No worker could be leased for a task: its worker processes keep failing to start, or no node took the request. */
export const LeaseFailedError = defineError(
  "LUX_LEASE_FAILED",
  "LeaseFailedError",
  (f: {
    /** What needed the worker, e.g. "task f". */
    readonly what: string;
    /** Why none was granted, e.g. "worker process exited with code 1 before it registered". */
    readonly reason: string;
  }) =>
    `could not lease a worker for ${f.what}: ${f.reason}. See the raylet log in the session directory (a worker ` +
    "that cannot start, e.g. one that crashes importing the entry module, fails the tasks that need it).",
);
export type LeaseFailedError = InstanceType<typeof LeaseFailedError>;

/** A raylet or control service process that Lux started (a private cluster, `lux start`) did not come up. */
export const NodeStartError = defineError(
  "LUX_NODE_START_FAILED",
  "NodeStartError",
  (f: {
    /** The daemon: "gcs" (the control service) or "raylet". */
    readonly component: string;
    /** What went wrong, with its output, e.g. "exited during start (code 1): …". */
    readonly reason: string;
  }) => `the ${f.component} process ${f.reason}`,
);
export type NodeStartError = InstanceType<typeof NodeStartError>;

/** `lux.exitActor()`, which ends the current actor, was called outside an actor's method. */
export const NotInActorError = defineError(
  "LUX_NOT_IN_ACTOR",
  "NotInActorError",
  (f: { /** The API that was called, e.g. "lux.exitActor". */ readonly operation: string }) =>
    `${f.operation}() ends the current actor: call it from inside an actor's method`,
);
export type NotInActorError = InstanceType<typeof NotInActorError>;

/**
 * The actor's worker process stopped making progress (its raylet saw it neither answer a
 * liveness probe nor use CPU for workerLivenessTimeoutMs, e.g. it was stopped with SIGSTOP):
 * calls made from then on fail at once instead of queueing. The actor is not dead: once its
 * process makes progress again, calls go through.
 */
export const ActorUnavailableError = defineError(
  "LUX_ACTOR_UNAVAILABLE",
  "ActorUnavailableError",
  (f: { readonly actorId: string; readonly actorName?: string }) =>
    `actor ${f.actorName !== undefined ? `"${f.actorName}" (id ${f.actorId})` : f.actorId} is unavailable: its worker process ` +
    "has stopped making progress (stopped with SIGSTOP, or its machine hangs), so the call was not sent. Calls go " +
    "through again once the process resumes; to replace it, lux.kill(handle, { noRestart: false }) restarts an actor " +
    "that has restarts left.",
);
export type ActorUnavailableError = InstanceType<typeof ActorUnavailableError>;
