/** The wire form of a process's buffered task events: one columnar TaskEventBatch. */
import { TASK_ERROR_STACK_MAX, TASK_EVENT, carriesInfo, hasEnd, type TaskEventBatch } from "@lux/protocol";
import { TaskError } from "@lux/common";

/**
 * Values per buffered event: task id, job id, code, time, extra (a SUBMITTED's parent task
 * id, a FAILED's error), name, actor id, end time (NaN unless the code hasEnd).
 */
export const STRIDE = 8;

export interface BatchSource {
  nodeId: string;
  workerId: string;
  pid: number;
}

/** The columnar batch of `count` buffered events. */
export function encodeBatch(events: readonly unknown[], count: number, from: BatchSource, dropped: Record<string, number>): TaskEventBatch {
  const taskIds: string[] = [];
  const codes = new Uint8Array(count);
  const times = new Float64Array(count);
  const ends: number[] = [];
  const infos: number[] = [];
  const strings = new StringTable();
  const errors: TaskEventBatch["errors"] = [];
  let n = 0;
  for (let i = 0; i < count * STRIDE; i += STRIDE) {
    const code = events[i + 2] as number;
    const extra = events[i + 4];
    taskIds.push(events[i] as string);
    codes[n] = code;
    times[n] = events[i + 3] as number;
    if (carriesInfo(code)) {
      const parent = code === TASK_EVENT.SUBMITTED || code === TASK_EVENT.SUBMITTED_WAITING || code === TASK_EVENT.SUBMITTED_FINISHED ? (extra as string | undefined) : undefined;
      infos.push(strings.index(events[i + 1] as string), strings.index(events[i + 5] as string), strings.index((events[i + 6] as string | undefined) ?? ""), strings.index(parent ?? ""));
    }
    if (hasEnd(code)) ends.push(events[i + 7] as number);
    if (code === TASK_EVENT.FAILED) errors.push({ at: n, ...errorOf(extra) });
    n++;
  }
  return {
    nodeId: from.nodeId,
    workerId: from.workerId,
    pid: from.pid,
    taskIds,
    codes: codes.subarray(0, n),
    times: new Uint8Array(times.buffer, 0, n * 8),
    ends: new Uint8Array(Float64Array.from(ends).buffer),
    infos,
    strings: strings.values,
    errors,
    dropped,
  };
}

/** The distinct strings of a batch, each with its index. */
class StringTable {
  readonly values: string[] = [];
  private readonly indices = new Map<string, number>();

  index(s: string): number {
    let i = this.indices.get(s);
    if (i === undefined) {
      i = this.values.push(s) - 1;
      this.indices.set(s, i);
    }
    return i;
  }
}

/**
 * A failure's class name and message (an Error, or an error as it came over the wire), and
 * for an error the task threw (a TaskError, whose cause is the error re-created from the
 * worker's report) that error's stack: where the task's code threw, not where the owner
 * noticed.
 */
function errorOf(error: unknown): { type: string; message: string; stack?: string } {
  if (typeof error === "object" && error !== null) {
    const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: { stack?: unknown } };
    const out: { type: string; message: string; stack?: string } = { type: typeof e.name === "string" ? e.name : "Error", message: typeof e.message === "string" ? e.message : "" };
    const stack = e.code === TaskError.code ? e.cause?.stack : undefined;
    if (typeof stack === "string" && stack !== "") out.stack = stack.slice(0, TASK_ERROR_STACK_MAX);
    return out;
  }
  return { type: "Error", message: String(error) };
}
