import { ProtocolError, type ReturnValue, type TaskReplyWire } from "@lux/protocol";
import { TaskCancelledError, createLogger, fromWireError, objectIdFor, returnIdsOf, toWireError, type WireError } from "@lux/common";
import type { ObjectManager } from "./object-manager.js";
import { fromReturnValue } from "./object-value.js";
import type { Lineage } from "./lineage.js";
import type { PeerConnection } from "./connections.js";
import type { Observability } from "./observability.js";
import type { TaskEvents } from "./task-events.js";
import { isSlotList, slotList, type ObjectValue } from "./memory-store.js";
import { NO_SLOTS, type TaskRecord } from "./task-record.js";

const log = createLogger("core");

/**
 * The owner's table of tasks in flight: records results into the memory store, applies
 * `retryExceptions`, and finds a task from one of its return refs (for `cancel`).
 */
export class TaskResults {
  /** Unfinished tasks, linked through their records (no table insert per task). */
  private first: TaskRecord | undefined;
  private count = 0;
  /** Tasks this owner finished, and failed for good, so far (the node's metrics). */
  finishedCount = 0;
  failedCount = 0;
  private retry: ((record: TaskRecord) => void) | undefined;

  constructor(
    private readonly objects: ObjectManager,
    /** Keeps finished tasks whose results are stored on a node, to re-create them if it dies. */
    private readonly lineage?: Lineage,
    /** What the state API is told: tasks' submissions and ends here, requeues by the submitters, runs by the executor. */
    readonly observed?: Observability,
  ) {
    this.events = observed?.taskEvents;
    this.events?.watchUnfinished(() => this.unfinishedRecords());
  }

  /** Where tasks' state changes are reported (undefined: task events are off). */
  readonly events: TaskEvents | undefined;

  onRetry(retry: (record: TaskRecord) => void): void {
    this.retry = retry;
  }

  track(record: TaskRecord): void {
    const store = this.objects.memory;
    // A task tracked again (lineage reconstruction) finds its objects' entries still there.
    if (record.returnSlots === NO_SLOTS && record.spec.numReturns === 1) record.returnSlots = store.createNew(objectIdFor(record.spec.taskId, 0));
    else if (record.spec.numReturns === 1) record.returnSlots = store.createPending(objectIdFor(record.spec.taskId, 0));
    else record.returnSlots = returnIdsOf(record.spec.taskId, record.spec.numReturns).map((id) => store.createPending(id));
    store.attachTask(record.returnSlots, record);
    this.observed?.submitted(record);
    record.prev = undefined;
    record.next = this.first;
    if (this.first !== undefined) this.first.prev = record;
    this.first = record;
    this.count++;
  }

  /** Tasks submitted and not finished yet. */
  size(): number {
    return this.count;
  }

  /** Unfinished tasks by state: waiting for arguments, for a worker, running (the node's metrics; one walk over them). */
  countByState(): { resolving: number; queued: number; running: number } {
    const counts = { resolving: 0, queued: 0, running: 0 };
    for (let r = this.first; r !== undefined; r = r.next) if (r.state !== "finished") counts[r.state]++;
    return counts;
  }

  private *unfinishedRecords(): Generator<TaskRecord> {
    for (let r = this.first; r !== undefined; r = r.next) yield r;
  }

  private unfinished(): TaskRecord[] {
    return [...this.unfinishedRecords()];
  }

  /**
   * Fails every unfinished task with TaskCancelledError (on shutdown): whoever awaits one of
   * their results hears that it will never come instead of waiting forever. Cancelled tasks
   * are not retried when their workers go away.
   */
  cancelAll(reason: string): void {
    for (const record of this.unfinished()) {
      record.cancelled = true;
      this.fail(record, new TaskCancelledError({ taskId: record.spec.taskId, cause: new Error(reason) }));
    }
  }

  /** Fails every task in flight (this process lost its cluster). */
  failAll(error: Error): void {
    for (const record of this.unfinished()) this.fail(record, error);
  }

  byObject(objectId: string): TaskRecord | undefined {
    return this.objects.memory.slot(objectId)?.task as TaskRecord | undefined;
  }

  /** Objects that unfinished tasks take as arguments (the state API's PENDING_TASK_ARG). */
  pendingArgIds(): Set<string> {
    const ids = new Set<string>();
    for (let r = this.first; r !== undefined; r = r.next) for (const ref of r.heldRefs) ids.add(ref.objectId);
    return ids;
  }

  /** Tasks submitted while executing `parentTaskId` (for recursive cancel). */
  children(parentTaskId: string): TaskRecord[] {
    return this.unfinished().filter((r) => r.parentTaskId === parentTaskId);
  }

  complete(record: TaskRecord, reply: TaskReplyWire, executor: PeerConnection): void {
    if (record.state === "finished") return;
    if (reply instanceof Uint8Array) {
      this.completeInline(record, reply);
      return;
    }
    let appError: unknown;
    for (const r of reply.returns) if (r.error !== undefined && appError === undefined) appError = r.error;
    if (appError !== undefined && !record.cancelled && this.shouldRetry(record, appError as WireError)) {
      if (record.retriesLeft > 0) record.retriesLeft--;
      log.warn(`task ${record.spec.name} threw; retrying (${this.retriesText(record)})`);
      this.retry?.(record);
      return;
    }
    this.finish(record);
    if (record.cancelled || appError !== undefined) this.failedCount++;
    else this.finishedCount++;
    if (this.events !== undefined) {
      if (record.cancelled) this.events.failed(record, new TaskCancelledError({ taskId: record.spec.taskId }));
      else if (appError !== undefined) this.events.failed(record, appError);
      else this.events.finished(record);
    }
    if (record.cancelled) {
      this.setAll(record, toWireError(new TaskCancelledError({ taskId: record.spec.taskId })));
      if (reply.hasContained === true) this.releaseContained(record, executor);
      return;
    }
    let borrows: Promise<void>[] | undefined;
    let stored = false;
    const store = this.objects.memory;
    const slots = record.returnSlots;
    for (let i = 0; i < reply.returns.length; i++) {
      const r = reply.returns[i] as ReturnValue;
      const slot = isSlotList(slots) ? slots[i] : i === 0 ? slots : undefined;
      const value = fromReturnValue(r);
      if (!(slot !== undefined && slot.id === r.objectId ? store.setSlot(slot, value) : store.set(r.objectId, value))) {
        this.objects.discard(r.objectId, r.nodeId); // freed while the task ran
        continue;
      }
      if (r.nodeId !== undefined) stored = true;
      if (r.contained !== undefined && r.contained.length > 0 && store.has(r.objectId)) {
        this.objects.putter.pinContained(r.objectId, r.contained);
        (borrows ??= []).push(this.objects.refs.flushBorrows());
      }
    }
    if (reply.hasContained === true) {
      void Promise.all(borrows ?? []).then(() => this.releaseContained(record, executor));
    }
    // Only results kept in a node's store can be lost with it (inline ones live here).
    if (stored) {
      this.lineage?.finished(record, reply.returns.filter((r) => store.has(r.objectId)));
      this.objects.directory.checkStored(returnIdsOf(record.spec.taskId, record.spec.numReturns));
    }
  }

  /**
   * The reply of bytes alone: the value of the task's one return, inline, with no refs inside
   * (see @lux/protocol's task-reply-wire.ts); what `complete` does for such a reply, without a
   * ReturnValue to read.
   */
  private completeInline(record: TaskRecord, bytes: Uint8Array): void {
    if (record.spec.numReturns !== 1) {
      // Only a peer that is no Lux worker of this version answers so.
      this.fail(record, new ProtocolError({ reason: `the reply to task ${record.spec.name} holds one value, but the task has ${record.spec.numReturns} returns` }));
      return;
    }
    this.finish(record);
    if (record.cancelled) {
      this.failedCount++;
      const error = new TaskCancelledError({ taskId: record.spec.taskId });
      this.events?.failed(record, error);
      this.setAll(record, toWireError(error));
      return;
    }
    this.finishedCount++;
    this.events?.finished(record);
    const store = this.objects.memory;
    const slot = record.returnSlots;
    const value = inlineValue(bytes);
    if (isSlotList(slot)) {
      const id = objectIdFor(record.spec.taskId, 0);
      if (!store.set(id, value)) this.objects.discard(id, undefined); // freed while the task ran
    } else if (!store.setSlot(slot, value)) {
      this.objects.discard(slot.id, undefined);
    }
  }

  fail(record: TaskRecord, error: unknown): void {
    if (record.state === "finished") return;
    this.finish(record);
    this.failedCount++;
    this.events?.failed(record, error);
    this.setAll(record, toWireError(error));
  }

  /** Fails the task with an error a dependency produced (propagation). */
  failWith(record: TaskRecord, error: WireError): void {
    if (record.state === "finished") return;
    this.finish(record);
    this.failedCount++;
    this.events?.failed(record, error);
    this.setAll(record, error);
  }

  private finish(record: TaskRecord): void {
    record.state = "finished";
    record.worker = undefined;
    this.objects.memory.detachTask(record.returnSlots, record);
    if (record.prev !== undefined) record.prev.next = record.next;
    else if (this.first === record) this.first = record.next;
    else return; // never tracked
    if (record.next !== undefined) record.next.prev = record.prev;
    record.prev = record.next = undefined;
    this.count--;
  }

  private setAll(record: TaskRecord, error: WireError): void {
    const store = this.objects.memory;
    for (const slot of slotList(record.returnSlots)) store.setSlot(slot, { kind: "error", error });
  }

  private releaseContained(record: TaskRecord, executor: PeerConnection): void {
    executor.notify("releaseContained", { objectIds: returnIdsOf(record.spec.taskId, record.spec.numReturns) });
  }

  private shouldRetry(record: TaskRecord, error: WireError): boolean {
    if (record.retriesLeft === 0) return false;
    const policy = record.options.retryExceptions;
    if (policy === false) return false;
    if (policy === true) return true;
    const cause = fromWireError(error).cause as Error | undefined;
    return cause !== undefined && policy.includes(cause.name);
  }

  private retriesText(record: TaskRecord): string {
    return record.retriesLeft < 0 ? "unlimited retries" : `${record.retriesLeft} retries left`;
  }
}

export type { ReturnValue };

/**
 * One shared value per one-byte inline return (msgpack's small integers, nil, booleans: what
 * most small tasks return). Such a reply's bytes are a view into the frame's read buffer: the
 * slot holding them kept that buffer alive until a full GC (its ObjectRef lives into old space,
 * see object-ref.ts), and each task allocated a value object and a view. Values are never
 * changed after they are set, so sharing them is safe.
 */
const ONE_BYTE_VALUES: (ObjectValue | undefined)[] = new Array(256).fill(undefined);

/** The inline value of a reply's bytes (see ONE_BYTE_VALUES). */
function inlineValue(bytes: Uint8Array): ObjectValue {
  if (bytes.byteLength !== 1) return { kind: "inline", bytes };
  const b = bytes[0] as number;
  let v = ONE_BYTE_VALUES[b];
  if (v === undefined) ONE_BYTE_VALUES[b] = v = Object.freeze({ kind: "inline", bytes: Uint8Array.of(b) } as const);
  return v;
}
