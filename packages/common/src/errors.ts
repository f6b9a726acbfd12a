/**
 * Typed Lux errors. Every class has a stable `code` (documented in docs/errors.md),
 * a proper `name`, typed fields and an optional `cause`. Each class registers itself
 * so an error sent across the wire (see wire-error.ts) comes back as the same class.
 */
import { inspect } from "node:util";
import { LuxError, type LuxErrorOptions, describeError, registerErrorClass } from "./lux-error.js";
import { ensureError } from "./wire-error.js";

export {
  LuxError,
  type LuxErrorOptions,
  type LuxErrorClass,
  describeError,
  registerErrorClass,
  errorClassForCode,
  registeredErrorCodes,
} from "./lux-error.js";
export { type WireError, toWireError, fromWireError, ensureError } from "./wire-error.js";

/** Every error code defined in this package. docs/errors.md documents each one. */
export const ERROR_CODES = [
  "LUX_INTERNAL",
  "LUX_TASK_FAILED",
  "LUX_GET_TIMEOUT",
  "LUX_ACTOR_DIED",
  "LUX_TASK_CANCELLED",
  "LUX_WORKER_CRASHED",
  "LUX_OUT_OF_MEMORY",
  "LUX_OBJECT_LOST",
  "LUX_OWNER_DIED",
  "LUX_OBJECT_STORE_FULL",
  "LUX_ACTOR_NAME_TAKEN",
  "LUX_ACTOR_NOT_FOUND",
  "LUX_INVALID_OPTION",
  "LUX_INVALID_CONFIG",
  "LUX_PROTOCOL",
  "LUX_NOT_INITIALIZED",
  "LUX_SERIALIZATION",
  "LUX_CLUSTER_LOST",
  "LUX_NODE_AFFINITY_FAILED",
  "LUX_RUNTIME_ENV_SETUP_FAILED",
  "LUX_NO_LAUNCHER",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

function listIds(ids: readonly string[], max = 3): string {
  const shown = ids.slice(0, max).join(", ");
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

function formatBytes(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let unit = "bytes";
  for (const u of units) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return unit === "bytes" ? `${n} bytes` : `${n} bytes (${v.toFixed(1)} ${unit})`;
}

export interface TaskErrorFields {
  readonly taskId: string;
  readonly functionName: string;
  /** What the task threw. Non-Error values are converted to an Error. */
  readonly cause: unknown;
}

/**
 * A remote task or actor method threw. `cause` is the remote error re-created
 * locally: same name, message, stack and own enumerable properties.
 */
export class TaskError extends LuxError {
  static override readonly code: string = "LUX_TASK_FAILED";
  declare readonly cause: Error;
  readonly taskId: string;
  readonly functionName: string;

  constructor(fields: TaskErrorFields) {
    const cause = ensureError(fields.cause);
    super(`task ${fields.functionName} (id ${fields.taskId}) failed: ${cause.name}: ${cause.message}`, { cause });
    this.taskId = fields.taskId;
    this.functionName = fields.functionName;
  }

  static {
    registerErrorClass(this, "TaskError");
  }
}

export interface GetTimeoutErrorFields extends LuxErrorOptions {
  readonly timeoutMs: number;
  /** The objects that were not ready when the timeout fired. */
  readonly objectIds: readonly string[];
}

/** `lux.get` (or another wait on objects) hit its `timeoutMs`. */
export class GetTimeoutError extends LuxError {
  static override readonly code: string = "LUX_GET_TIMEOUT";
  readonly timeoutMs: number;
  readonly objectIds: string[];

  constructor(fields: GetTimeoutErrorFields) {
    const n = fields.objectIds.length;
    super(
      `get timed out after ${fields.timeoutMs} ms; ${n} object${n === 1 ? " was" : "s were"} not ready: ` +
        `${listIds(fields.objectIds)}. The tasks that create them may still be running or waiting for ` +
        "resources: pass a larger timeoutMs, use lux.wait() to take results as they finish, or check " +
        "`lux status` for pending work.",
      fields,
    );
    this.timeoutMs = fields.timeoutMs;
    this.objectIds = [...fields.objectIds];
  }

  static {
    registerErrorClass(this, "GetTimeoutError");
  }
}

export interface ActorDiedErrorFields extends LuxErrorOptions {
  readonly actorId: string;
  readonly actorName?: string;
}

/** The actor is dead (crashed, killed, or its node or owner died) and will not restart. */
export class ActorDiedError extends LuxError {
  static override readonly code: string = "LUX_ACTOR_DIED";
  readonly actorId: string;
  declare readonly actorName?: string;

  constructor(fields: ActorDiedErrorFields) {
    const who = fields.actorName !== undefined ? `"${fields.actorName}" (id ${fields.actorId})` : fields.actorId;
    const why = fields.cause !== undefined ? `: ${describeError(fields.cause)}` : "";
    super(
      `actor ${who} died${why}. Calls to it fail from now on. To survive crashes create it with ` +
        "maxRestarts > 0 (and maxTaskRetries to retry calls), or create a new actor.",
      fields,
    );
    this.actorId = fields.actorId;
    if (fields.actorName !== undefined) this.actorName = fields.actorName;
  }

  static {
    registerErrorClass(this, "ActorDiedError");
  }
}

export interface TaskCancelledErrorFields extends LuxErrorOptions {
  readonly taskId: string;
}

/** The task was cancelled with `lux.cancel` before it produced a result. */
export class TaskCancelledError extends LuxError {
  static override readonly code: string = "LUX_TASK_CANCELLED";
  readonly taskId: string;

  constructor(fields: TaskCancelledErrorFields) {
    super(
      `task ${fields.taskId} was cancelled, so its result will never be available. ` +
        "Submit the task again if you still need it.",
      fields,
    );
    this.taskId = fields.taskId;
  }

  static {
    registerErrorClass(this, "TaskCancelledError");
  }
}

export interface WorkerCrashedErrorFields extends LuxErrorOptions {
  readonly taskId: string;
  readonly exitCode?: number;
  readonly signal?: string;
}

/** The worker process running the task exited before the task finished. */
export class WorkerCrashedError extends LuxError {
  static override readonly code: string = "LUX_WORKER_CRASHED";
  readonly taskId: string;
  declare readonly exitCode?: number;
  declare readonly signal?: string;

  constructor(fields: WorkerCrashedErrorFields) {
    const how = [
      fields.exitCode !== undefined ? `exit code ${fields.exitCode}` : undefined,
      fields.signal !== undefined ? `signal ${fields.signal}` : undefined,
    ].filter((s) => s !== undefined);
    super(
      `the worker running task ${fields.taskId} exited unexpectedly` +
        `${how.length > 0 ? ` (${how.join(", ")})` : ""} and the task's retries are used up. ` +
        "Check the worker's log in the session directory for the reason (e.g. process.exit() or a " +
        "native crash in user code, or the OS killing it); raise maxRetries to retry it more often.",
      fields,
    );
    this.taskId = fields.taskId;
    if (fields.exitCode !== undefined) this.exitCode = fields.exitCode;
    if (fields.signal !== undefined) this.signal = fields.signal;
  }

  static {
    registerErrorClass(this, "WorkerCrashedError");
  }
}

export interface OutOfMemoryErrorFields extends LuxErrorOptions {
  readonly taskId: string;
  readonly nodeId?: string;
  readonly usedBytes?: number;
  readonly limitBytes?: number;
}

/** The node ran low on memory and Lux killed the worker running the task. */
export class OutOfMemoryError extends LuxError {
  static override readonly code: string = "LUX_OUT_OF_MEMORY";
  readonly taskId: string;
  declare readonly nodeId?: string;
  declare readonly usedBytes?: number;
  declare readonly limitBytes?: number;

  constructor(fields: OutOfMemoryErrorFields) {
    const where = fields.nodeId !== undefined ? ` on node ${fields.nodeId}` : "";
    const usage =
      fields.usedBytes !== undefined && fields.limitBytes !== undefined
        ? ` (${formatBytes(fields.usedBytes)} used of ${formatBytes(fields.limitBytes)})`
        : "";
    super(
      `the worker running task ${fields.taskId}${where} was killed because the node ran out of memory${usage}. ` +
        "Declare the task's memory with the memory option so fewer run at once, reduce its memory use, " +
        "or add nodes.",
      fields,
    );
    this.taskId = fields.taskId;
    if (fields.nodeId !== undefined) this.nodeId = fields.nodeId;
    if (fields.usedBytes !== undefined) this.usedBytes = fields.usedBytes;
    if (fields.limitBytes !== undefined) this.limitBytes = fields.limitBytes;
  }

  static {
    registerErrorClass(this, "OutOfMemoryError");
  }
}

export interface ObjectLostErrorFields extends LuxErrorOptions {
  readonly objectId: string;
  /** Why it cannot be re-created (e.g. "it was made by put()"), added to the message. */
  readonly reason?: string;
}

/** Every copy of the object is gone and it cannot be re-created from its lineage. */
export class ObjectLostError extends LuxError {
  static override readonly code: string = "LUX_OBJECT_LOST";
  readonly objectId: string;

  /** Set when the message says why the object cannot be re-created. */
  declare readonly reason?: string;

  constructor(fields: ObjectLostErrorFields) {
    super(new.target.describe(fields), fields);
    this.objectId = fields.objectId;
    if (fields.reason !== undefined) Object.defineProperty(this, "reason", { value: fields.reason, enumerable: true });
  }

  /** The message for `fields`; subclasses override it. */
  protected static describe(fields: ObjectLostErrorFields): string {
    if (fields.reason !== undefined) {
      return `object ${fields.objectId} was lost and cannot be re-created: ${fields.reason}.`;
    }
    return (
      `object ${fields.objectId} was lost: every copy is gone (e.g. its node died) and it cannot be ` +
      "re-created, because it was made by put() or its task used up maxRetries. Create it again; for " +
      "task results, raise maxRetries so Lux can recompute them."
    );
  }

  static {
    registerErrorClass(this, "ObjectLostError");
  }
}

export interface OwnerDiedErrorFields extends ObjectLostErrorFields {
  /** Address of the process that owned the object. */
  readonly ownerAddress: string;
}

/** The process that owned the object (created it) died, so the object is gone. */
export class OwnerDiedError extends ObjectLostError {
  static override readonly code: string = "LUX_OWNER_DIED";
  readonly ownerAddress: string;

  constructor(fields: OwnerDiedErrorFields) {
    super(fields);
    this.ownerAddress = fields.ownerAddress;
  }

  protected static override describe(fields: OwnerDiedErrorFields): string {
    return (
      `object ${fields.objectId} was lost because its owner at ${fields.ownerAddress} (the process that ` +
      "created it) died. Objects live only as long as their owner: keep that process alive while others " +
      "use its objects, or create them in a longer-lived process such as a detached actor."
    );
  }

  static {
    registerErrorClass(this, "OwnerDiedError");
  }
}

export interface ObjectStoreFullErrorFields extends LuxErrorOptions {
  readonly objectId: string;
  /** Size of the object that did not fit, in bytes. */
  readonly size: number;
  /** Capacity of the object store, in bytes. */
  readonly capacity: number;
}

/** The node's shared-memory object store has no room for the object, even after spilling. */
export class ObjectStoreFullError extends LuxError {
  static override readonly code: string = "LUX_OBJECT_STORE_FULL";
  readonly objectId: string;
  readonly size: number;
  readonly capacity: number;

  constructor(fields: ObjectStoreFullErrorFields) {
    super(
      `the object store is full: object ${fields.objectId} of ${formatBytes(fields.size)} does not fit ` +
        `(capacity ${formatBytes(fields.capacity)}, the rest is held by objects still in use). Drop ` +
        "ObjectRefs you no longer need so their objects can be freed, split the value into smaller " +
        "objects, or give the node a larger object store.",
      fields,
    );
    this.objectId = fields.objectId;
    this.size = fields.size;
    this.capacity = fields.capacity;
  }

  static {
    registerErrorClass(this, "ObjectStoreFullError");
  }
}

export interface ActorNameFields extends LuxErrorOptions {
  /** The actor's name; kept as `actorName` (a `name` field would hide the error's name). */
  readonly name: string;
  readonly namespace: string;
}

/** Creating a named actor failed: the name is already used in that namespace. */
export class ActorNameTakenError extends LuxError {
  static override readonly code: string = "LUX_ACTOR_NAME_TAKEN";
  readonly actorName: string;
  readonly namespace: string;

  constructor(fields: ActorNameFields) {
    super(
      `an actor named "${fields.name}" already exists in namespace "${fields.namespace}". Pick ` +
        "another name, pass getIfExists: true to get the existing actor, or kill it first.",
      fields,
    );
    this.actorName = fields.name;
    this.namespace = fields.namespace;
  }

  static {
    registerErrorClass(this, "ActorNameTakenError");
  }
}

/** No live actor has this name in this namespace. */
export class ActorNotFoundError extends LuxError {
  static override readonly code: string = "LUX_ACTOR_NOT_FOUND";
  readonly actorName: string;
  readonly namespace: string;

  constructor(fields: ActorNameFields) {
    super(
      `no actor named "${fields.name}" in namespace "${fields.namespace}". Check the name and the ` +
        "namespace (lux.init({ namespace }) or the namespace option), and that the actor was created " +
        'and is still alive (a named actor dies with its owner unless lifetime is "detached").',
      fields,
    );
    this.actorName = fields.name;
    this.namespace = fields.namespace;
  }

  static {
    registerErrorClass(this, "ActorNotFoundError");
  }
}

export interface InvalidOptionErrorFields extends LuxErrorOptions {
  /** The option's name, e.g. "numCpus" or "resources.GPU". */
  readonly option: string;
  /** What the option accepts, e.g. "a number >= 0". */
  readonly expected: string;
  /** The value given; shown in the message, not kept as a field. */
  readonly received?: unknown;
}

/** An option passed to a Lux API is invalid. */
export class InvalidOptionError extends LuxError {
  static override readonly code: string = "LUX_INVALID_OPTION";
  readonly option: string;
  readonly expected: string;

  constructor(fields: InvalidOptionErrorFields) {
    const got = "received" in fields ? `, got ${describeValue(fields.received)}` : "";
    super(`invalid option ${fields.option}: expected ${fields.expected}${got}. Fix the option and call again.`, fields);
    this.option = fields.option;
    this.expected = fields.expected;
  }

  static {
    registerErrorClass(this, "InvalidOptionError");
  }
}

function describeValue(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 80 });
}

export interface InvalidConfigErrorFields extends LuxErrorOptions {
  /** The config entry, e.g. "workerLeaseIdleMs". */
  readonly key: string;
  /** The environment variable the value came from, if any. */
  readonly envVar?: string;
  /** The rejected value, as text. */
  readonly value: string;
  /** What the entry accepts. */
  readonly expected: string;
}

/** A config value (usually a `LUX_*` environment variable) is invalid. */
export class InvalidConfigError extends LuxError {
  static override readonly code: string = "LUX_INVALID_CONFIG";
  readonly key: string;
  declare readonly envVar?: string;
  readonly value: string;
  readonly expected: string;

  constructor(fields: InvalidConfigErrorFields) {
    const source = fields.envVar !== undefined ? `environment variable ${fields.envVar}` : `config ${fields.key}`;
    const fix = fields.envVar !== undefined ? `Fix or unset ${fields.envVar}.` : "Fix the value.";
    super(`invalid value ${JSON.stringify(fields.value)} for ${source}: expected ${fields.expected}. ${fix}`, fields);
    this.key = fields.key;
    if (fields.envVar !== undefined) this.envVar = fields.envVar;
    this.value = fields.value;
    this.expected = fields.expected;
  }

  static {
    registerErrorClass(this, "InvalidConfigError");
  }
}

export interface ProtocolErrorFields extends LuxErrorOptions {
  /** What was wrong, e.g. "frame of 3 GiB exceeds maxFrameBytes". */
  readonly reason: string;
  /** The peer's address, when known. */
  readonly peer?: string;
}

/** A peer sent something that breaks the wire protocol (bad frame, version, auth). */
export class ProtocolError extends LuxError {
  static override readonly code: string = "LUX_PROTOCOL";
  declare readonly peer?: string;

  constructor(fields: ProtocolErrorFields) {
    const from = fields.peer !== undefined ? ` with ${fields.peer}` : "";
    super(
      `protocol error${from}: ${fields.reason}. The peer may run another Lux version, use another ` +
        "cluster auth token, or not be a Lux process: check the address and that every node runs the " +
        "same Lux version.",
      fields,
    );
    if (fields.peer !== undefined) this.peer = fields.peer;
  }

  static {
    registerErrorClass(this, "ProtocolError");
  }
}

export interface NotInitializedErrorFields extends LuxErrorOptions {
  /** The API that was called, e.g. "lux.get". */
  readonly operation?: string;
}

/** A Lux API that needs a running cluster was called before `lux.init()`. */
export class NotInitializedError extends LuxError {
  static override readonly code: string = "LUX_NOT_INITIALIZED";
  declare readonly operation?: string;

  constructor(fields: NotInitializedErrorFields = {}) {
    const op = fields.operation !== undefined ? `${fields.operation}() was called but ` : "";
    super(`${op}Lux is not initialized. Call \`await lux.init()\` first (after lux.shutdown(), init again).`, fields);
    if (fields.operation !== undefined) this.operation = fields.operation;
  }

  static {
    registerErrorClass(this, "NotInitializedError");
  }
}

export interface ClusterLostErrorFields extends LuxErrorOptions {
  /** Which daemon the connection was to: "raylet" or "control service". */
  readonly component: string;
  readonly address: string;
}

/** This process lost its connection to its raylet or the control service; pending work fails. */
export class ClusterLostError extends LuxError {
  static override readonly code: string = "LUX_CLUSTER_LOST";
  readonly component: string;
  readonly address: string;

  constructor(fields: ClusterLostErrorFields) {
    super(
      `lost the connection to the ${fields.component} at ${fields.address}, so this task or object cannot ` +
        "complete. The cluster (or its node) stopped or crashed: check `lux status` and the session logs, then " +
        "call lux.shutdown() and lux.init() again.",
      fields,
    );
    this.component = fields.component;
    this.address = fields.address;
  }

  static {
    registerErrorClass(this, "ClusterLostError");
  }
}

export interface SerializationErrorFields extends LuxErrorOptions {
  /** Where in the value the problem is, e.g. "args[1].onDone". */
  readonly path: string;
  /** What is wrong there, e.g. "functions cannot be sent to another process". */
  readonly reason: string;
}

/** A value could not be serialized (or deserialized) to pass between processes. */
export class SerializationError extends LuxError {
  static override readonly code: string = "LUX_SERIALIZATION";
  readonly path: string;

  constructor(fields: SerializationErrorFields) {
    super(
      `cannot serialize the value at ${fields.path}: ${fields.reason}. Pass data (primitives, plain ` +
        "objects, arrays, typed arrays, Map, Set, Date), ObjectRefs or actor handles; keep other state " +
        "inside an actor.",
      fields,
    );
    this.path = fields.path;
  }

  static {
    registerErrorClass(this, "SerializationError");
  }
}

export interface NodeAffinityErrorFields extends LuxErrorOptions {
  /** The node the task or actor was pinned to. */
  readonly nodeId: string;
  /** What was pinned, e.g. "task f" or "actor Counter". */
  readonly what: string;
  /** Why it cannot run there, e.g. "the node is dead". */
  readonly reason: string;
}

/** A task or actor with hard node affinity (`schedulingStrategy: { nodeId, soft: false }`) cannot run on that node. */
export class NodeAffinityError extends LuxError {
  static override readonly code: string = "LUX_NODE_AFFINITY_FAILED";
  readonly nodeId: string;
  readonly what: string;

  constructor(fields: NodeAffinityErrorFields) {
    super(
      `${fields.what} must run on node ${fields.nodeId} (schedulingStrategy { nodeId, soft: false }), but ` +
        `${fields.reason}. Pick an alive node from lux.nodes(), or pass soft: true to fall back to another node.`,
      fields,
    );
    this.nodeId = fields.nodeId;
    this.what = fields.what;
  }

  static {
    registerErrorClass(this, "NodeAffinityError");
  }
}

export interface RuntimeEnvSetupErrorFields extends LuxErrorOptions {
  /** What could not be set up, e.g. "packing workingDir /app" or "unpacking package pkg:ab12… on node n1". */
  readonly what: string;
  /** Why, with what to do next. */
  readonly reason: string;
}

/**
 * A `runtimeEnv` could not be prepared: its `workingDir` is over the size cap or cannot be
 * read, or a node could not fetch or unpack its package.
 */
export class RuntimeEnvSetupError extends LuxError {
  static override readonly code: string = "LUX_RUNTIME_ENV_SETUP_FAILED";
  readonly what: string;

  constructor(fields: RuntimeEnvSetupErrorFields) {
    super(`runtimeEnv: ${fields.what} failed: ${fields.reason}`, fields);
    this.what = fields.what;
  }

  static {
    registerErrorClass(this, "RuntimeEnvSetupError");
  }
}

export interface NoLauncherErrorFields extends LuxErrorOptions {
  /** What `lux.init()` needed the launcher for, e.g. "start a private cluster". */
  readonly need: string;
}

/**
 * `lux.init()` needed to start a private cluster (or find the one `lux start` started), but
 * no launcher is registered: `@lux/core` was used without the `lux` package, which registers
 * `@lux/launcher` when it is imported.
 */
export class NoLauncherError extends LuxError {
  static override readonly code: string = "LUX_NO_LAUNCHER";
  readonly need: string;

  constructor(fields: NoLauncherErrorFields) {
    super(
      `lux.init() needs to ${fields.need}, but no cluster launcher is registered in this process. ` +
        'Import Lux from the "lux" package (it registers @lux/launcher), not from @lux/core; or pass the address of a running cluster.',
      fields,
    );
    this.need = fields.need;
  }

  static {
    registerErrorClass(this, "NoLauncherError");
  }
}
