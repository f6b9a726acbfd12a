/**
 * What this process tells the state API about the objects it references (`lux memory`,
 * `lux list objects`): one entry per object, with why it is held, in this order of
 * precedence: an argument of a task it submitted that has not finished (PENDING_TASK_ARG),
 * a live ObjectRef to an object it owns (LOCAL) or that another process owns (BORROWED),
 * or only inside another object it holds (CAPTURED_IN_OBJECT). Objects it owns that only
 * other processes still hold are reported by those processes, as BORROWED.
 */
import type { ObjectRefReport, ProcessRefsReport, RefType } from "@lux/protocol";
import type { CallSites } from "./call-sites.js";
import type { MemoryStore, ObjectValue } from "./memory-store.js";
import type { RefCounts, ReferenceCounter } from "./reference-counter.js";

/** `pendingArgs`: objects that unfinished tasks take as arguments. */
export function objectRefsReport(
  address: string,
  workerId: string,
  { memory, refs }: { memory: MemoryStore; refs: ReferenceCounter },
  pendingArgs: Set<string>,
  callSites: CallSites | undefined,
): ProcessRefsReport {
  const out: ObjectRefReport[] = [];
  for (const slot of memory.all()) {
    const refType = refTypeOf(slot, pendingArgs.has(slot.id), true);
    if (refType === undefined) continue;
    out.push({ objectId: slot.id, ownerAddress: address, refType, callSite: callSites?.get(slot.id) ?? null, ...where(slot.value) });
  }
  for (const [objectId, counts] of refs.borrowed()) {
    const refType = refTypeOf(counts, pendingArgs.has(objectId), false);
    if (refType === undefined) continue;
    out.push({ objectId, ownerAddress: counts.owner, refType, callSite: null, size: null, status: "BORROWED", storedOn: [] });
  }
  return { address, workerId, pid: process.pid, refs: out };
}

function refTypeOf(c: RefCounts, pendingArg: boolean, owned: boolean): RefType | undefined {
  if (pendingArg) return "PENDING_TASK_ARG";
  if (c.local > 0) return owned ? "LOCAL" : "BORROWED";
  if (c.pins > 0) return "CAPTURED_IN_OBJECT";
  return undefined;
}

function where(value: ObjectValue | undefined): Pick<ObjectRefReport, "size" | "status" | "storedOn"> {
  if (value === undefined) return { size: null, status: "PENDING", storedOn: [] };
  switch (value.kind) {
    case "inline":
      return { size: value.bytes.byteLength, status: "INLINE", storedOn: [] };
    case "stored":
      return { size: value.size, status: "STORED", storedOn: [...new Set([value.nodeId, ...(value.locations ?? [])])] };
    case "error":
      return { size: 0, status: "ERROR", storedOn: [] };
  }
}
