import type { ObjectRefWire, ResolvedArg, RuntimeEnvSpec, TaskSpec } from "@lux/protocol";
import type { Dependency } from "./dependency-resolver.js";
import type { Definition, TaskPace } from "./function-registry.js";
import type { Slot } from "./memory-store.js";
import type { ObjectRef } from "./object-ref.js";
import { NONE, NO_SLOTS, type RunningOn, type TaskOptionsCompiled, type TaskRecord, type TaskState } from "./task-record.js";

/**
 * What the plain normal tasks of one definition and options share (see PlainTask): one
 * object per definition and options, not a copy of each field per queued task.
 */
export interface TaskHead {
  readonly jobId: string;
  readonly functionId: string;
  readonly name: string;
  readonly ownerAddress: string;
  readonly numReturns: number;
  /** The options every call of them runs with (the same object for each: TaskSubmitter keys its queues by it). */
  readonly options: TaskOptionsCompiled;
  readonly pace: TaskPace;
}

/** Whether a normal task's options let it be a PlainTask (its spec has none of the optional parts). */
export function isPlain(options: TaskOptionsCompiled): boolean {
  return options.placementGroup === undefined && options.generatorBackpressure === undefined && options.maxCalls === undefined;
}

/**
 * A plain normal task (no placement group, generator or maxCalls) as its owner keeps it: its
 * record and its spec in one object (`spec` is the object itself). What the calls of its
 * definition share is read through its TaskHead, and what a task rarely has (ref arguments,
 * a parent task, resolved arguments, GPU ids, a cancellation) is on the prototype until it
 * is set. A driver that queues a million tasks holds a million of these, so each field
 * counts: this is ~136 bytes where a record and a spec of their own took ~280. (Fields set
 * for most tasks stay own fields: adding one later costs each task an allocation.)
 */
export class PlainTask implements TaskRecord, TaskSpec {
  readonly head: TaskHead;
  taskId: string;
  args: Uint8Array;
  /** Set by task events at submission: own from the start, so setting it changes no shape. */
  reported = false;
  queueSeq: number | undefined = undefined;
  retriesLeft: number;
  state: TaskState = "resolving";
  worker: RunningOn | undefined = undefined;
  mayHoldWorker = false;
  returnSlots: Slot | readonly Slot[] = NO_SLOTS;
  eventRow = -1;
  unreportedSince = -1;
  prev: TaskRecord | undefined = undefined;
  next: TaskRecord | undefined = undefined;
  // On the prototype (see below) until a task has them of its own.
  declare readonly deps: readonly Dependency[];
  declare readonly heldRefs: readonly ObjectRef[];
  declare readonly parentTaskId: string | undefined;
  /** Set only when it is cancelled (rare; and on shutdown, for every task left). */
  declare cancelled: boolean;
  declare resolved: ResolvedArg[];
  declare borrowed: ObjectRefWire[];
  declare gpuIds: number[];

  constructor(head: TaskHead, taskId: string, args: Uint8Array, deps: readonly Dependency[], held: readonly ObjectRef[], parentTaskId: string | undefined) {
    this.head = head;
    this.taskId = taskId;
    this.args = args;
    this.retriesLeft = head.options.maxRetries;
    if (deps.length > 0) (this as { deps: readonly Dependency[] }).deps = deps;
    if (held.length > 0) (this as { heldRefs: readonly ObjectRef[] }).heldRefs = held;
    if (parentTaskId !== undefined) (this as { parentTaskId: string | undefined }).parentTaskId = parentTaskId;
  }

  get spec(): TaskSpec {
    return this;
  }

  get options(): TaskOptionsCompiled {
    return this.head.options;
  }

  get pace(): TaskPace {
    return this.head.pace;
  }

  get jobId(): string {
    return this.head.jobId;
  }

  get functionId(): string {
    return this.head.functionId;
  }

  get name(): string {
    return this.head.name;
  }

  get ownerAddress(): string {
    return this.head.ownerAddress;
  }

  get numReturns(): number {
    return this.head.numReturns;
  }

  get resources(): Record<string, number> {
    return this.head.options.resources;
  }
}

// Writable data properties: a task that gets its own (a resolved argument list, say) shadows them.
for (const [key, value] of [
  ["deps", NONE],
  ["heldRefs", NONE],
  ["parentTaskId", undefined],
  ["cancelled", false],
  ["resolved", NONE],
  ["borrowed", NONE],
  ["gpuIds", NONE],
] as const) {
  Object.defineProperty(PlainTask.prototype, key, { value, writable: true, enumerable: false, configurable: true });
}

/** What TaskHeads reads of its core worker (when it makes a head, not per task). */
export interface HeadsOwner {
  readonly options: { readonly jobId: string };
  readonly address: string;
  readonly runtimeEnvs: { readonly base: RuntimeEnvSpec | undefined };
}

/**
 * The heads of the plain tasks this owner submits: one per definition and options (found
 * again by the options its calls share), a new one when the function's id, name or the
 * runtime env changed; a call with a runtime env of its own gets one of its own (its options
 * are its own, completed once its env is resolved). Also the specs of the other normal tasks.
 */
export class TaskHeads {
  private readonly heads = new WeakMap<TaskOptionsCompiled, TaskHead>();
  private readonly sharedOptions = new WeakMap<TaskOptionsCompiled, TaskOptionsCompiled>();

  constructor(private readonly owner: HeadsOwner) {}

  /**
   * The options of one call with the runtime env it runs in. Calls without a runtime env of
   * their own share one object per definition (the submitter caches its scheduling key by
   * it); a call with one gets a copy, completed once its env is resolved.
   */
  withEnv(options: TaskOptionsCompiled): TaskOptionsCompiled {
    const base = this.owner.runtimeEnvs.base;
    if (options.runtimeEnv !== undefined) return { ...options, runtimeEnvSpec: base };
    const cached = this.sharedOptions.get(options);
    if (cached !== undefined && cached.runtimeEnvSpec === base) return cached;
    const shared = { ...options, runtimeEnvSpec: base };
    this.sharedOptions.set(options, shared);
    return shared;
  }

  of(def: Definition, options: TaskOptionsCompiled): TaskHead {
    const functionId = def.descriptor?.functionId ?? "";
    const name = options.name ?? def.name;
    const own = options.runtimeEnv !== undefined;
    let head = own ? undefined : this.heads.get(options);
    if (
      head === undefined ||
      head.options.runtimeEnvSpec !== this.owner.runtimeEnvs.base ||
      head.functionId !== functionId ||
      head.name !== name ||
      head.pace !== def.pace
    ) {
      const { options: { jobId }, address } = this.owner;
      head = { jobId, functionId, name, ownerAddress: address, numReturns: options.numReturns, options: this.withEnv(options), pace: def.pace };
      if (!own) this.heads.set(options, head);
    }
    return head;
  }

  /** The spec of a normal task that is not plain: an object of its own, with the optional parts it has. */
  spec(def: Definition, options: TaskOptionsCompiled, taskId: string, args: Uint8Array): TaskSpec {
    const spec: TaskSpec = {
      taskId,
      jobId: this.owner.options.jobId,
      functionId: def.descriptor?.functionId ?? "",
      name: options.name ?? def.name,
      args,
      resolved: NONE,
      borrowed: NONE,
      numReturns: options.numReturns,
      ownerAddress: this.owner.address,
      gpuIds: NONE,
      resources: options.resources,
      // Set by task events at submission; in the literal, so every spec has one shape.
      reported: false,
    };
    if (options.placementGroup !== undefined) spec.placementGroup = options.placementGroup;
    if (options.generatorBackpressure !== undefined) spec.generator = { backpressure: options.generatorBackpressure, skip: 0 };
    if (options.maxCalls !== undefined) spec.maxCalls = options.maxCalls;
    return spec;
  }
}
