import type { ResolvedArg } from "@lux/protocol";
import type { WireError } from "@lux/common";
import type { ObjectGetter } from "./object-getter.js";
import type { ObjectRef } from "./object-ref.js";
import type { TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";

/** A top-level ref argument, by position. */
export interface Dependency {
  index: number;
  ref: ObjectRef;
}

/**
 * Waits, before a task or actor creation is sent, for the values of its top-level ref
 * arguments: each is sent along inline, or as where it is stored, or fails the task with
 * the dependency's error.
 */
export class DependencyResolver {
  constructor(
    private readonly getter: Pick<ObjectGetter, "locate">,
    private readonly results: TaskResults,
  ) {}

  /**
   * Resolves the task's dependencies (after `ready`, e.g. its definition's export) into its
   * spec; false if the task failed (its results are set) or was cancelled or finished meanwhile.
   */
  async resolve(record: TaskRecord, ready: Promise<void> | undefined): Promise<boolean> {
    try {
      if (ready !== undefined) await ready;
      const resolved = await this.resolveArgs(record.deps);
      // A PlainTask's empty list is on its prototype: a task without ref arguments gets no own one.
      if (resolved.length > 0 || record.spec.resolved.length > 0) record.spec.resolved = resolved;
    } catch (e) {
      this.results.fail(record, e);
      return false;
    }
    const failed = record.spec.resolved.find((r) => r.error !== undefined);
    if (failed !== undefined) {
      this.results.failWith(record, failed.error as WireError);
      return false;
    }
    return !record.cancelled && record.state !== "finished";
  }

  async resolveArgs(deps: readonly Dependency[]): Promise<ResolvedArg[]> {
    if (deps.length === 0) return [];
    return Promise.all(
      deps.map(async ({ index, ref }) => {
        const v = await this.getter.locate(ref);
        const r: ResolvedArg = { index, objectId: ref.objectId };
        if (v.kind === "inline") r.value = v.bytes;
        else if (v.kind === "stored") {
          r.nodeId = v.nodeId;
          r.size = v.size;
          r.ownerAddress = ref.ownerAddress;
          if (v.locations !== undefined) r.locations = [...v.locations];
        } else r.error = v.error;
        return r;
      }),
    );
  }
}
