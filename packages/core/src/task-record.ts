import type { ResolvedArg, RuntimeEnvSpec, SchedulingStrategy, TaskSpec } from "@lux/protocol";
import type { RuntimeEnvInput } from "./runtime-env.js";
import type { Slot } from "./memory-store.js";
import type { ObjectRef } from "./object-ref.js";

export interface TaskOptionsCompiled {
  resources: Record<string, number>;
  maxRetries: number;
  retryExceptions: boolean | readonly string[];
  numReturns: number;
  /** Overrides the function's name in logs and errors. */
  name?: string | undefined;
  /** Where the task may run; undefined is "DEFAULT". */
  strategy?: SchedulingStrategy | undefined;
  /** The runtimeEnv option, validated (merged over the job's at submission). */
  runtimeEnv?: RuntimeEnvInput | undefined;
  /** The runtime env the task's worker runs in, set once resolved; undefined: none. */
  runtimeEnvSpec?: RuntimeEnvSpec | undefined;
}

export type TaskState = "resolving" | "queued" | "running" | "finished";

/** Owner-side bookkeeping for one submitted task (normal or actor call). */
export interface TaskRecord {
  /** Submission order, kept when a pipelined task is handed back and queued again. */
  queueSeq: number | undefined;
  spec: TaskSpec;
  options: TaskOptionsCompiled;
  /** Top-level ref arguments by position; resolved before the push. */
  deps: readonly { index: number; ref: ObjectRef }[];
  /** Every ref inside the arguments; holding them keeps the objects alive while the task is pending. */
  heldRefs: readonly ObjectRef[];
  retriesLeft: number;
  state: TaskState;
  cancelled: boolean;
  /** The task that submitted this one, when submitted from inside a task. */
  parentTaskId: string | undefined;
  /** Where it runs, while running. */
  worker: { workerId: string; address: string } | undefined;
  /** Neighbours in the owner's list of unfinished tasks (TaskResults). */
  /** The memory-store entries of its return objects (owner side), in return order. */
  returnSlots: readonly Slot[];
  prev: TaskRecord | undefined;
  next: TaskRecord | undefined;
}

export function resolvedOf(record: TaskRecord): ResolvedArg[] {
  return record.spec.resolved;
}
