import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskSpec } from "@lux/protocol";

/** The task a piece of code runs for (actor calls may interleave, so this is per async context). */
export interface TaskContext {
  taskId: string;
  actorId: string | undefined;
  /** The call being run; undefined in an actor's constructor. */
  spec: TaskSpec | undefined;
  /**
   * The function a normal task runs (its name whatever the task's `name` option); an actor's
   * constructor: `Class.constructor`; undefined for an actor method (named from its class).
   */
  functionName: string | undefined;
  /** Aborts the task's signal: made when the signal is first asked for, or when the task is cancelled. */
  controller: AbortController | undefined;
}

export const taskContext = new AsyncLocalStorage<TaskContext>();

/** A context for code running for task `taskId` (most fields are filled in by the executor). */
export function newTaskContext(
  taskId: string,
  actorId: string | undefined,
  spec: TaskSpec | undefined,
  functionName: string | undefined,
): TaskContext {
  return { taskId, actorId, spec, functionName, controller: undefined };
}

/** The signal `lux.getRuntimeContext().signal` gives inside the task: aborted when it is cancelled. */
export function signalOf(ctx: TaskContext): AbortSignal {
  ctx.controller ??= new AbortController();
  return ctx.controller.signal;
}
