/**
 * What a worker's output belongs to. A worker writes a marker line on stdout (or stderr)
 * whenever the task or actor it writes for changes (core's output-attribution.ts); its
 * raylet reads the markers out of the stream, prefixes the lines for the driver
 * (`(f pid=… node=…)`, `(Counter pid=…)`) and keeps them in the worker's log file, where
 * `lux logs task --id` selects the lines of one task. A marker is one line:
 * `\x1eLUX\t<taskId>\t<actorId>\t<name>`, with empty fields for output of no task.
 */

/** The task or actor a line of output was written for. */
export interface OutputContext {
  /** The task (an actor call is a task too); "" between tasks of an actor. */
  readonly taskId: string;
  /** The actor the worker hosts; "" for a normal task. */
  readonly actorId: string;
  /** The function a normal task runs, or the actor's class. */
  readonly name: string;
}

/** How every marker line starts (a record separator: no ordinary output starts so). */
export const OUTPUT_MARKER_PREFIX = "\u001eLUX\t";
/** The marker of output written for no task or actor. */
export const NO_OUTPUT_CONTEXT_MARKER = `${OUTPUT_MARKER_PREFIX}\t\t`;

const FIELD_BREAKS = /[\t\r\n\u001e]/g;

/** The marker line (without its newline) of `context`; none: output of no task. */
export function outputMarker(context: OutputContext | undefined): string {
  if (context === undefined) return NO_OUTPUT_CONTEXT_MARKER;
  return `${OUTPUT_MARKER_PREFIX}${clean(context.taskId)}\t${clean(context.actorId)}\t${clean(context.name)}`;
}

export function isOutputMarker(line: string): boolean {
  return line.startsWith(OUTPUT_MARKER_PREFIX);
}

/** The context a marker line names; undefined for output of no task (or a malformed marker). */
export function parseOutputMarker(line: string): OutputContext | undefined {
  const [taskId = "", actorId = "", name = ""] = line.slice(OUTPUT_MARKER_PREFIX.length).split("\t");
  if (taskId === "" && actorId === "") return undefined;
  return { taskId, actorId, name };
}

function clean(field: string): string {
  return field.replace(FIELD_BREAKS, " ");
}
