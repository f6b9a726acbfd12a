import type { PlacementGroupPlacement, ResolvedArg, RuntimeEnvSpec, SchedulingStrategy, TaskSpec } from "@lux/protocol";
import type { PeerConnection } from "./connections.js";
import type { Dependency } from "./dependency-resolver.js";
import type { TaskPace } from "./function-registry.js";
import type { RuntimeEnvInput } from "./runtime-env.js";
import { isSlotList, type Slot } from "./memory-store.js";
import { ObjectRef } from "./object-ref.js";
import { taskContext } from "./task-context.js";

export interface TaskOptionsCompiled {
  resources: Record<string, number>;
  maxRetries: number;
  retryExceptions: boolean | readonly string[];
  numReturns: number;
  /** Overrides the function's name in logs and errors. */
  name?: string | undefined;
  /** Where the task may run; undefined is "DEFAULT". */
  strategy?: SchedulingStrategy | undefined;
  /** The placement group it runs in (its lease asks for the group's bundle resources). */
  placementGroup?: PlacementGroupPlacement | undefined;
  /** A schedulingStrategy was given: the task does not inherit a capturing group. */
  strategyGiven?: boolean;
  /** Only nodes whose labels match may run it. */
  labelSelector?: Record<string, string> | undefined;
  /** The runtimeEnv option, validated (merged over the job's at submission). */
  runtimeEnv?: RuntimeEnvInput | undefined;
  /** The runtime env the task's worker runs in, set once resolved; undefined: none. */
  runtimeEnvSpec?: RuntimeEnvSpec | undefined;
  /** Set for a generator function (its task streams its yields): generatorBackpressureNumObjects, 0 for none. */
  generatorBackpressure?: number | undefined;
  /** Its worker exits after this many calls of the function (set only when > 0). */
  maxCalls?: number | undefined;
}

export type TaskState = "resolving" | "queued" | "running" | "finished";

/** The worker a task runs on. */
export interface RunningOn {
  workerId: string;
  address: string;
  connection: PeerConnection;
  /**
   * A normal task's worker: kills it through the raylet that leased it (on whatever node)
   * if `record` is the task it may be running; undefined when `record` is still pipelined
   * behind another task there (it has not started: the worker skips it on a plain cancel).
   */
  forceCancel?: (record: TaskRecord, reason: string) => Promise<unknown> | undefined;
}

/** Owner-side bookkeeping for one submitted task (normal or actor call). */
export interface TaskRecord {
  /** Submission order, kept when a pipelined task is handed back and queued again. */
  queueSeq: number | undefined;
  spec: TaskSpec;
  options: TaskOptionsCompiled;
  /** Top-level ref arguments by position; resolved before the push. */
  deps: readonly Dependency[];
  /** Every ref inside the arguments; holding them keeps the objects alive while the task is pending. */
  heldRefs: readonly ObjectRef[];
  retriesLeft: number;
  state: TaskState;
  cancelled: boolean;
  /** The task that submitted this one, when submitted from inside a task. */
  parentTaskId: string | undefined;
  /** Where it runs, while running (and the connection it was pushed over: a cancel follows it there). */
  worker: RunningOn | undefined;
  /** Its function's pace, learned from earlier calls (TaskSubmitter pipelines by it). */
  pace: TaskPace;
  /** Pushed while its function was not known to hand back: nothing is pipelined behind it. */
  mayHoldWorker: boolean;
  /**
   * The memory-store entries of its return objects (owner side), in return order: for a
   * single return the slot itself (no array per queued task; see slotList).
   */
  returnSlots: Slot | readonly Slot[];
  /** Where its task events are in the batch being filled (see TaskEvents' EventRow). */
  eventRow: number;
  /** When it was submitted if its task events are not reported (see TaskEvents); -1 once they are. */
  unreportedSince: number;
  /** Neighbours in the owner's list of unfinished tasks (TaskResults). */
  prev: TaskRecord | undefined;
  next: TaskRecord | undefined;
}

export function resolvedOf(record: TaskRecord): ResolvedArg[] {
  return record.spec.resolved;
}

/** A record's return slots before it is tracked (none made yet). */
export const NO_SLOTS: readonly Slot[] = Object.freeze([]);

/**
 * The empty lists of a new TaskSpec (resolved args, borrowed refs, GPU ids), one frozen array
 * for every spec: they are replaced, never pushed to, so a queued task holds none of its own.
 */
export const NONE = Object.freeze([]) as never[];

/** The pace of calls that are never pipelined (actor calls): never read. */
export const UNPIPELINED: TaskPace = { handsBack: false };

/** A new task's record, before it is tracked (its return slots are made then). */
export function newTaskRecord(
  spec: TaskSpec,
  deps: readonly Dependency[],
  held: readonly ObjectRef[],
  options: TaskOptionsCompiled,
  pace: TaskPace = UNPIPELINED,
): TaskRecord {
  return {
    queueSeq: undefined,
    spec,
    options,
    deps,
    heldRefs: held,
    retriesLeft: options.maxRetries,
    state: "resolving",
    cancelled: false,
    parentTaskId: taskContext.getStore()?.taskId,
    worker: undefined,
    pace,
    mayHoldWorker: false,
    returnSlots: NO_SLOTS,
    eventRow: -1,
    unreportedSince: -1,
    prev: undefined,
    next: undefined,
  };
}

/** The owner's refs to a task's return objects, made on their slots. */
export function refsOf(slots: Slot | readonly Slot[], owner: string): ObjectRef[] {
  if (!isSlotList(slots)) return [new ObjectRef(slots.id, owner, slots)];
  return slots.map((slot) => new ObjectRef(slot.id, owner, slot));
}
