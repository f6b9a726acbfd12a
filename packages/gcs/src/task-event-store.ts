/**
 * The control service's tasks, from the task events every process reports (issue 16,
 * point 3). At most `max` tasks are kept (config taskEventsMax): past it, the task that
 * finished longest ago is dropped first, then the oldest still pending or running, and
 * failed tasks (and tasks whose last run failed) last, so a filter on FAILED finds every
 * failure as long as they fit. (A task can still be dropped before it fails when more than
 * `max` tasks are pending at once.) Each
 * drop is counted for its job, with the events processes could not send (`dropped`).
 * Events that come later for a dropped task do not bring it back: events without the task's
 * info (its finish, a run's end) are ignored for a task not kept, and so is a run that ended
 * before the last finished task dropped (its owner's events came first and were dropped with it).
 */
import { TASK_ERROR_STACK_MAX, TASK_EVENT, TASK_INFO_STRIDE, carriesInfo, hasEnd, type TaskEventBatch } from "@lux/protocol";
import { DONE, Execution, FAILED_LIST, LIVE, STATE, TaskEntry, type ListIndex } from "./task-entry.js";

/**
 * Dropped tasks remembered by id (the newest), so their owner's events arriving after their
 * executor's (processes report independently) do not bring them back without their runs.
 */
const RECENT_DROPS_MAX = 10_000;

/** Distinct strings kept shared (job ids, names, node and worker ids); past it, copies are kept. */
const INTERN_MAX = 10_000;

/** A doubly linked list of entries, oldest first (an entry is on one list at a time). */
class EntryList {
  head: TaskEntry | undefined = undefined;
  tail: TaskEntry | undefined = undefined;

  push(e: TaskEntry): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail !== undefined) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }

  remove(e: TaskEntry): void {
    if (e.prev !== undefined) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
  }
}

export class TaskEventStore {
  private readonly entries = new Map<string, TaskEntry>();
  /** When the finished task dropped last ended: runs that ended before it belong to dropped tasks. */
  private droppedUntil = -Infinity;
  /**
   * Ids of the tasks dropped last: between RECENT_DROPS_MAX / 2 and RECENT_DROPS_MAX of them, in
   * two generations. (Deleting a Set's oldest entry one by one makes V8 walk every deleted
   * slot before it to find the next: eviction took half the control service's CPU.)
   */
  private recentlyDropped = new Set<string>();
  private droppedBefore = new Set<string>();
  private readonly lists: [EntryList, EntryList, EntryList] = [new EntryList(), new EntryList(), new EntryList()];
  private readonly droppedByJob = new Map<string, number>();
  private readonly interned = new Map<string, string>();
  private nextSeq = 0;

  constructor(
    /** Tasks kept at most (config taskEventsMax). */
    private readonly max: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(taskId: string): TaskEntry | undefined {
    return this.entries.get(taskId);
  }

  /** Every kept task, in the order the control service first heard of them. */
  values(): IterableIterator<TaskEntry> {
    return this.entries.values();
  }

  /** Tasks dropped (evicted, or their events lost on the way) for `jobId`, or for all jobs. */
  dropped(jobId?: string): number {
    if (jobId !== undefined) return this.droppedByJob.get(jobId) ?? 0;
    let n = 0;
    for (const count of this.droppedByJob.values()) n += count;
    return n;
  }

  /** Merges one process's batch of events, then evicts down to `max`. */
  ingest(batch: TaskEventBatch): void {
    const { taskIds, infos, errors } = batch;
    const strings = batch.strings.map((s) => this.intern(s));
    const codes = batch.codes;
    const times = float64s(batch.times, taskIds.length);
    const ends = float64s(batch.ends, batch.ends.byteLength >> 3);
    const nodeId = this.intern(batch.nodeId);
    const workerId = this.intern(batch.workerId);
    let info = 0;
    let error = 0;
    let end = 0;
    for (let i = 0; i < taskIds.length; i++) {
      const taskId = taskIds[i] as string;
      const code = codes[i] as number;
      const infoAt = info;
      if (carriesInfo(code)) info += TASK_INFO_STRIDE;
      const endAt = hasEnd(code) ? (ends[end++] as number) : NaN;
      const err = code === TASK_EVENT.FAILED && errors[error]?.at === i ? errors[error++] : undefined;
      const at = times[i] as number;
      const e = this.entry(taskId, code, infoAt !== info, at);
      if (e === undefined) continue; // not kept
      if (infoAt !== info) this.fillInfo(e, infos, strings, infoAt);
      if (code === TASK_EVENT.FAILED) this.failed(e, at, err?.type ?? "Error", err?.message ?? "", err?.stack);
      else this.apply(e, code, at, endAt, nodeId, workerId, batch.pid);
    }
    for (const [jobId, n] of Object.entries(batch.dropped)) this.countDropped(jobId, n);
    this.evict();
  }

  /** The task's entry; a new one for an event with the task's info, unless it belongs to a dropped task. */
  private entry(taskId: string, code: number, withInfo: boolean, at: number): TaskEntry | undefined {
    let e = this.entries.get(taskId);
    if (e === undefined) {
      if (!withInfo) return undefined;
      const executor = code === TASK_EVENT.RUNNING || code === TASK_EVENT.RUN || code === TASK_EVENT.RUN_FAILED;
      if (executor && at < this.droppedUntil) return undefined;
      // A failure is kept even so: FAILED lists are what users look for.
      if (code !== TASK_EVENT.FAILED && (this.recentlyDropped.has(taskId) || this.droppedBefore.has(taskId))) return undefined;
      e = new TaskEntry(this.nextSeq++, taskId);
      this.entries.set(taskId, e);
      this.lists[LIVE].push(e);
    }
    return e;
  }

  /** Fills what `e` lacks from the info at `at` (indices into `strings`, already interned). */
  private fillInfo(e: TaskEntry, infos: readonly number[], strings: readonly string[], at: number): void {
    if (e.jobId === "") e.jobId = strings[infos[at] as number] ?? "";
    if (e.name === "") e.name = strings[infos[at + 1] as number] ?? "";
    if (e.actorId === "") e.actorId = strings[infos[at + 2] as number] ?? "";
    if (e.parentTaskId === "") e.parentTaskId = strings[infos[at + 3] as number] ?? "";
  }

  private apply(e: TaskEntry, code: number, at: number, end: number, nodeId: string, workerId: string, pid: number): void {
    switch (code) {
      case TASK_EVENT.SUBMITTED_FINISHED:
        this.apply(e, TASK_EVENT.SUBMITTED, at, NaN, nodeId, workerId, pid);
        this.ended(e, end, false);
        return;
      case TASK_EVENT.RUN:
      case TASK_EVENT.RUN_FAILED:
        this.started(e, at, nodeId, workerId, pid);
        this.ran(e, end, code === TASK_EVENT.RUN_FAILED, nodeId, workerId, pid);
        // Nothing from its owner yet (late, or left out past its taskEventsRateMax): a run that
        // ended without error finishes the task.
        if (code === TASK_EVENT.RUN && Number.isNaN(e.createdAt)) this.ended(e, end, false);
        return;
      case TASK_EVENT.SUBMITTED:
      case TASK_EVENT.SUBMITTED_WAITING:
        if (Number.isNaN(e.createdAt) || at < e.createdAt) e.createdAt = at;
        if (code === TASK_EVENT.SUBMITTED_WAITING) {
          if (Number.isNaN(e.pendingArgsAt)) e.pendingArgsAt = at;
          e.setState(STATE.PENDING_ARGS_AVAIL, at);
        } else {
          if (Number.isNaN(e.pendingNodeAt)) e.pendingNodeAt = at;
          e.setState(STATE.PENDING_NODE_ASSIGNMENT, at);
        }
        return;
      case TASK_EVENT.QUEUED:
        if (Number.isNaN(e.pendingNodeAt)) e.pendingNodeAt = at;
        e.setState(STATE.PENDING_NODE_ASSIGNMENT, at);
        return;
      case TASK_EVENT.RUNNING:
        this.started(e, at, nodeId, workerId, pid);
        return;
      case TASK_EVENT.RAN:
      case TASK_EVENT.RAN_FAILED:
        this.ran(e, at, code === TASK_EVENT.RAN_FAILED, nodeId, workerId, pid);
        return;
      case TASK_EVENT.FINISHED:
        this.ended(e, at, false);
        return;
      default:
        return; // a code from a newer process: ignored
    }
  }

  private started(e: TaskEntry, at: number, nodeId: string, workerId: string, pid: number): void {
    if (Number.isNaN(e.runningAt)) e.runningAt = at;
    e.setState(STATE.RUNNING, at);
    (e.executions ??= []).push(new Execution(nodeId, workerId, pid, at, NaN, false));
  }

  private ran(e: TaskEntry, at: number, failed: boolean, nodeId: string, workerId: string, pid: number): void {
    // A failed run is kept like a failure until its owner says whether it retries it.
    if (failed && e.list === LIVE) this.move(e, FAILED_LIST);
    const last = e.lastExecution();
    if (last !== undefined && Number.isNaN(last.end) && last.workerId === workerId) {
      last.end = at;
      last.failed = failed;
    } else if (last !== undefined && last.workerId === workerId && last.end === at) {
      last.failed ||= failed;
    } else {
      // Ended without starting (its code or actor could not be loaded): a run of no length.
      (e.executions ??= []).push(new Execution(nodeId, workerId, pid, at, at, failed));
    }
  }

  private failed(e: TaskEntry, at: number, type: string, message: string, stack: string | undefined): void {
    if (e.terminal) return;
    e.errorType = this.intern(type);
    e.errorMessage = message;
    // Bounded by the reporter; cut again here, as a peer of another version may not.
    if (stack !== undefined) e.errorStack = stack.slice(0, TASK_ERROR_STACK_MAX);
    this.ended(e, at, true);
  }

  private ended(e: TaskEntry, at: number, failed: boolean): void {
    if (e.terminal) return;
    e.setState(failed ? STATE.FAILED : STATE.FINISHED, at);
    e.endedAt = at;
    this.move(e, failed ? FAILED_LIST : DONE);
  }

  private move(e: TaskEntry, list: ListIndex): void {
    this.lists[e.list].remove(e);
    e.list = list;
    this.lists[list].push(e);
  }

  /** Drops tasks past `max`: finished longest ago first, then pending or running, failed last. */
  private evict(): void {
    while (this.entries.size > this.max) {
      const victim = this.lists[DONE].head ?? this.lists[LIVE].head ?? this.lists[FAILED_LIST].head;
      if (victim === undefined) return;
      this.lists[victim.list].remove(victim);
      this.entries.delete(victim.taskId);
      if (victim.list === DONE && victim.endedAt > this.droppedUntil) this.droppedUntil = victim.endedAt;
      this.recentlyDropped.add(victim.taskId);
      if (this.recentlyDropped.size >= RECENT_DROPS_MAX / 2) {
        this.droppedBefore = this.recentlyDropped;
        this.recentlyDropped = new Set();
      }
      this.countDropped(victim.jobId, 1);
    }
  }

  private countDropped(jobId: string, n: number): void {
    if (n > 0) this.droppedByJob.set(jobId, (this.droppedByJob.get(jobId) ?? 0) + n);
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size < INTERN_MAX) this.interned.set(s, s);
    return s;
  }
}

/** The batch's times as numbers (copied when the bytes are not 8-byte aligned in their buffer). */
function float64s(bytes: Uint8Array, count: number): Float64Array {
  if (bytes.byteLength < count * 8) return new Float64Array(count).fill(NaN);
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, count);
  return new Float64Array(bytes.slice(0, count * 8).buffer);
}
