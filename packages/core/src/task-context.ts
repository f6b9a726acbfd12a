import { AsyncLocalStorage } from "node:async_hooks";

/** The task a piece of code runs for (actor calls may interleave, so this is per async context). */
export interface TaskContext {
  taskId: string;
  actorId: string | undefined;
}

export const taskContext = new AsyncLocalStorage<TaskContext>();
