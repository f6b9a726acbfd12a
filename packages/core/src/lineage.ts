import type { ReturnValue } from "@lux/protocol";
import type { TaskRecord } from "./task-record.js";

/** How a lost object can be re-created: by re-running its task, or not (and why). */
export type LineageEntry = { kind: "task"; record: TaskRecord } | { kind: "none"; reason: string };

/**
 * The lineage an owner keeps: finished tasks (and actor calls whose actor has maxTaskRetries)
 * whose results live in a node's object store,
 * for as long as those results are referenced, so a result lost with its node can be made
 * again by re-running its task (whose argument refs the record holds, keeping them alive
 * too). The specs kept are bounded by `maxLineageBytes`; the oldest go first, and their
 * results can then no longer be re-created.
 */
export class Lineage {
  private readonly byObject = new Map<string, LineageEntry>();
  /** Records kept, oldest first, with their stored returns still referenced. */
  private readonly records = new Map<TaskRecord, Set<string>>();
  private bytes = 0;

  /** `maxBytes`: config maxLineageBytes. */
  constructor(private readonly maxBytes: number) {}

  /** A task finished: keep what is needed to re-create its stored returns. */
  finished(record: TaskRecord, returns: readonly ReturnValue[]): void {
    const stored = returns.filter((r) => r.nodeId !== undefined && r.error === undefined).map((r) => r.objectId);
    if (stored.length === 0) return;
    // An actor call is re-run (sent to the restarted actor) only with the actor's maxTaskRetries.
    if (record.spec.actorId !== undefined && record.retriesLeft === 0 && !this.records.has(record)) {
      const reason =
        `it was returned by the actor method ${record.spec.name}, whose actor has no maxTaskRetries (left) to ` +
        "call it again; give the actor maxRestarts and maxTaskRetries for its results to be rebuilt";
      for (const id of stored) this.byObject.set(id, { kind: "none", reason });
      return;
    }
    let ids = this.records.get(record);
    if (ids === undefined) {
      ids = new Set();
      this.records.set(record, ids);
      this.bytes += specBytes(record);
    }
    for (const id of stored) {
      ids.add(id);
      this.byObject.set(id, { kind: "task", record });
    }
    this.evict();
  }

  get(objectId: string): LineageEntry | undefined {
    return this.byObject.get(objectId);
  }

  /** The object was freed: its lineage goes (the task's with its last stored return). */
  freed(objectId: string): void {
    if (this.byObject.size === 0) return;
    const entry = this.byObject.get(objectId);
    if (entry === undefined) return;
    this.byObject.delete(objectId);
    if (entry.kind !== "task") return;
    const ids = this.records.get(entry.record);
    ids?.delete(objectId);
    if (ids !== undefined && ids.size === 0) this.drop(entry.record);
  }

  /** Records and bytes kept (for tests and stats). */
  stats(): { tasks: number; bytes: number } {
    return { tasks: this.records.size, bytes: this.bytes };
  }

  private evict(): void {
    for (const [record, ids] of this.records) {
      if (this.bytes <= this.maxBytes) return;
      const reason =
        `the lineage of task ${record.spec.name} that made it was dropped to keep the lineage under ` +
        `maxLineageBytes (${this.maxBytes} bytes); raise LUX_MAX_LINEAGE_BYTES to keep more`;
      for (const id of ids) this.byObject.set(id, { kind: "none", reason });
      this.drop(record);
    }
  }

  private drop(record: TaskRecord): void {
    if (!this.records.delete(record)) return;
    this.bytes -= specBytes(record);
  }
}

function specBytes(record: TaskRecord): number {
  return record.spec.args.byteLength + 256;
}
