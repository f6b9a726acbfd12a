import { createLogger, isPutObjectId, returnIdsOf } from "@lux/common";
import type { Lineage } from "./lineage.js";
import type { MemoryStore } from "./memory-store.js";
import type { ObjectDirectory } from "./object-directory.js";
import type { TaskRecord } from "./task-record.js";

const log = createLogger("core");

/**
 * Lineage reconstruction: owned objects whose every copy is gone are made again by
 * re-running the tasks that made them (their own lost arguments first, recursively), each
 * re-run counting against the task's `maxRetries` (an actor call's: its actor's
 * `maxTaskRetries`; it is sent to the restarted actor). Objects that cannot be re-created fail
 * with ObjectLostError saying why.
 */
export class ObjectRecovery {
  constructor(
    private readonly selfAddress: string,
    private readonly memory: MemoryStore,
    private readonly directory: ObjectDirectory,
    private readonly lineage: Lineage,
    /** Runs a finished task again (resolves its arguments, then queues it). */
    private readonly resubmit: (record: TaskRecord) => void,
  ) {}

  recover(objectIds: readonly string[], failedNodes: ReadonlySet<string>): void {
    const toRun = new Set<TaskRecord>();
    const where = [...failedNodes].map((n) => n.slice(0, 8)).join(", ");
    const visit = (objectId: string): void => {
      const v = this.memory.peek(objectId);
      if (v?.kind !== "stored" || this.directory.liveLocations(objectId, failedNodes).length > 0) return;
      if (isPutObjectId(objectId)) {
        this.directory.markLost(objectId, `it was made by put() and its only copy was on node ${where}, which died; a put object cannot be re-created`);
        return;
      }
      const entry = this.lineage.get(objectId);
      if (entry === undefined) {
        this.directory.markLost(objectId, `its copies were on node ${where}, which died, and the lineage of the task that made it is not kept`);
        return;
      }
      if (entry.kind === "none") {
        this.directory.markLost(objectId, entry.reason);
        return;
      }
      const record = entry.record;
      if (!toRun.has(record)) {
        if (record.state !== "finished") {
          this.directory.resetPending(objectId); // already running again: it sets the new value
          return;
        }
        if (record.retriesLeft === 0) {
          this.directory.markLost(objectId, `its copies were on node ${where}, which died, and ${noRetriesLeft(record)}`);
          return;
        }
        if (record.retriesLeft > 0) record.retriesLeft--;
        toRun.add(record);
      }
      // Every stored return lost with it waits for the re-run; then its lost arguments are re-created first.
      for (const id of returnIdsOf(record.spec.taskId, record.spec.numReturns)) {
        const r = this.memory.peek(id);
        if (r?.kind === "stored" && this.directory.liveLocations(id, failedNodes).length === 0) this.directory.resetPending(id);
      }
      for (const { ref } of record.deps) if (ref.ownerAddress === this.selfAddress) visit(ref.objectId);
    };
    for (const id of objectIds) visit(id);
    for (const record of toRun) {
      const what = record.spec.actorId === undefined ? "task" : "actor method";
      log.warn(`re-running ${what} ${record.spec.name} to re-create results lost with node ${where} (${retriesText(record)})`);
      this.resubmit(record);
    }
  }
}

function noRetriesLeft(record: TaskRecord): string {
  if (record.spec.actorId !== undefined) {
    return `actor method ${record.spec.name} that made it has no retries left to re-create it (its actor's maxTaskRetries are spent)`;
  }
  return `task ${record.spec.name} that made it has no retries left to re-create it (maxRetries: ${record.options.maxRetries})`;
}

function retriesText(record: TaskRecord): string {
  return record.retriesLeft < 0 ? "unlimited retries" : `${record.retriesLeft} retries left`;
}
