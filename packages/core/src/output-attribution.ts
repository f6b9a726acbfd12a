/**
 * Marks a worker's output with what it was written for. Each write to stdout or stderr
 * first checks the task context it runs in (task-context.ts, an AsyncLocalStorage the
 * executor enters for every task and actor call): when it differs from the last write's, a
 * marker line naming the task or actor goes first (@lux/common's output-markers.ts). The
 * raylet reads the markers out of the stream: it prefixes each line for the driver with the
 * function's or actor class's name and keeps the markers in the worker's log file, so
 * `lux logs task --id` finds the lines of one task, even among an actor's concurrent calls.
 * Nothing here runs on the task path: only writes pay, one lookup each.
 */
import { NO_OUTPUT_CONTEXT_MARKER, outputMarker, type OutputContext } from "@lux/common";
import { taskContext, type TaskContext } from "./task-context.js";

/** The actor the worker hosts (from its constructor on), if any. */
export type HostedActorOf = () => { actorId: string; className: string } | undefined;

/** Wraps this process's stdout and stderr writes (a worker's, once at its start). */
export function attributeOutput(hosted: HostedActorOf): void {
  for (const stream of [process.stdout, process.stderr]) markWrites(stream, hosted);
}

function markWrites(stream: NodeJS.WriteStream, hosted: HostedActorOf): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  let lastContext: TaskContext | undefined;
  let lastHosted: ReturnType<HostedActorOf>;
  // The raylet reads a stream as written for no task until a marker says otherwise.
  let lastMarker = NO_OUTPUT_CONTEXT_MARKER;
  let atLineStart = true;
  const marked = (chunk: unknown, ...rest: unknown[]): boolean => {
    const context = taskContext.getStore();
    const actor = hosted();
    if (context !== lastContext || actor !== lastHosted) {
      lastContext = context;
      lastHosted = actor;
      const marker = outputMarker(contextOf(context, actor));
      if (marker !== lastMarker) {
        lastMarker = marker;
        // A marker is a line of its own: a line left open by the last write is ended first.
        write(`${atLineStart ? "" : "\n"}${marker}\n`);
        atLineStart = true;
      }
    }
    const last = lastByte(chunk);
    if (last !== undefined) atLineStart = last === 10;
    return write(chunk, ...rest);
  };
  stream.write = marked as typeof stream.write;
}

/** What output written in `context` belongs to: an actor's (by class), a task's (by function), or none. */
function contextOf(context: TaskContext | undefined, actor: ReturnType<HostedActorOf>): OutputContext | undefined {
  if (context === undefined) {
    // Between calls, an actor's worker writes for its actor (timers, its own handlers).
    return actor === undefined ? undefined : { taskId: "", actorId: actor.actorId, name: actor.className };
  }
  // The constructor (no spec) is not a task of its own.
  const taskId = context.spec === undefined ? "" : context.taskId;
  if (context.actorId !== undefined) {
    const name = actor?.className ?? context.functionName?.replace(/\.constructor$/, "") ?? "";
    return { taskId, actorId: context.actorId, name };
  }
  return { taskId, actorId: "", name: context.functionName ?? context.spec?.name ?? "" };
}

function lastByte(chunk: unknown): number | undefined {
  if (typeof chunk === "string") return chunk.length === 0 ? undefined : chunk.charCodeAt(chunk.length - 1);
  if (chunk instanceof Uint8Array) return chunk.length === 0 ? undefined : chunk[chunk.length - 1];
  return undefined;
}
