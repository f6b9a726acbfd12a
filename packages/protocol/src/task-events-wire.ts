/**
 * Task events: what owners and executors report to the control service about each task's
 * state (issue 16, point 3), in batches, one per process every taskEventsReportIntervalMs.
 * Events of one task that fall in one batch are sent as one where they can be (a task
 * submitted and finished, a run started and ended), so a short task costs two events (its
 * owner's and its executor's) whatever its number of state changes.
 *
 * A batch is columnar: one task id, code and time per event (codes and times as packed
 * bytes), so a process sends tens of thousands of events without an object per event, and
 * the control service walks them in one loop.
 */
import { arr, bytes, int, num, obj, opt, record, str, type Infer } from "./schema.js";

/**
 * What happened to a task. Owners report SUBMITTED…FAILED of the tasks they submit;
 * executors report RUNNING and RAN/RAN_FAILED of each execution (a retried task runs again).
 */
export const TASK_EVENT = {
  /** The owner created the task; nothing to wait for (state PENDING_NODE_ASSIGNMENT). Carries the task's info. */
  SUBMITTED: 0,
  /** The owner created the task; it waits for its arguments (state PENDING_ARGS_AVAIL). Carries the task's info. */
  SUBMITTED_WAITING: 1,
  /** Its arguments are ready (or it is retried): it waits for a worker (state PENDING_NODE_ASSIGNMENT). */
  QUEUED: 2,
  /** An executor started it (state RUNNING); the batch's node, worker and pid ran it. Carries the task's info. */
  RUNNING: 3,
  /** The executor's run of it ended without error. */
  RAN: 4,
  /** The executor's run of it ended with an error (the owner may still retry it). */
  RAN_FAILED: 5,
  /** The owner has its results (state FINISHED). */
  FINISHED: 6,
  /**
   * The owner failed it for good (state FAILED); its error is in the batch's `errors`. Carries
   * the task's info: a failure is kept even if the task was dropped while it was pending.
   */
  FAILED: 7,
  /**
   * SUBMITTED and FINISHED of one task in one batch, sent as one event: its time is the
   * submission's, its end (in `ends`) the finish. Carries the task's info.
   */
  SUBMITTED_FINISHED: 8,
  /** RUNNING and RAN of one run in one batch, as one event: its time is the start, its end (in `ends`) the end. Carries the task's info. */
  RUN: 9,
  /** RUNNING and RAN_FAILED of one run in one batch, as one event (see RUN). */
  RUN_FAILED: 10,
} as const;
export type TaskEventCode = (typeof TASK_EVENT)[keyof typeof TASK_EVENT];

/** Whether events of this code carry the task's info (TASK_INFO_STRIDE strings in `infos`). */
export function carriesInfo(code: number): boolean {
  return code <= TASK_EVENT.SUBMITTED_WAITING || code === TASK_EVENT.RUNNING || code === TASK_EVENT.FAILED || code >= TASK_EVENT.SUBMITTED_FINISHED;
}

/** Whether events of this code also have an end time (in the batch's `ends`). */
export function hasEnd(code: number): boolean {
  return code >= TASK_EVENT.SUBMITTED_FINISHED;
}

/**
 * Characters of a failed task's stack kept in its FAILED event (the top frames, which say
 * where it threw): the control service keeps up to taskEventsMax tasks, failed ones last.
 */
export const TASK_ERROR_STACK_MAX = 4096;

/** Strings per info in a batch's `infos`: jobId, name, actorId ("" for a normal task), parentTaskId ("" for none), each as an index into `strings`. */
export const TASK_INFO_STRIDE = 4;

export const TaskEventBatch = obj({
  /** Where the reporting process runs: the node, worker id and pid of the RUNNING/RAN events. */
  nodeId: str,
  workerId: str,
  pid: int(),
  /** One task id per event. */
  taskIds: arr(str),
  /** One TaskEventCode per event (a byte each). */
  codes: bytes,
  /** One time per event: epoch milliseconds as little-endian float64, 8 bytes each. */
  times: bytes,
  /** For each event that hasEnd, in event order: its end time, as `times`. */
  ends: bytes,
  /**
   * For each event that carriesInfo, in event order: TASK_INFO_STRIDE indices into `strings`
   * (a batch's tasks mostly share their job, function and parent: each string goes once).
   */
  infos: arr(int()),
  /** The distinct strings of `infos`. */
  strings: arr(str),
  /**
   * The errors of FAILED events: `at` is the event's index; `stack`, for an error the task
   * threw, is that error's stack as its worker reported it (cut to TASK_ERROR_STACK_MAX characters).
   */
  errors: arr(obj({ at: int(), type: str, message: str, stack: opt(str) })),
  /** Events this process could not report (its buffer was full, or a batch was lost), by job id. */
  dropped: record(num),
});
export type TaskEventBatch = Infer<typeof TaskEventBatch>;
