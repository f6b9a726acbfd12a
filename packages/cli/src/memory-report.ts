/**
 * `lux memory`: every live object, one line per process holding it and why (ref type),
 * grouped by the node of that process or by owner; then each node's object store.
 */
import type { state } from "@lux/core";
import { table } from "./state-format.js";
import { formatBytes } from "./units.js";

export interface MemoryOptions {
  groupBy: string;
  sortBy?: string;
}

const COLUMNS = ["objectId", "size", "refType", "pid", "holderAddress", "ownerAddress", "callSite"];

export function memoryReport(objects: readonly state.ObjectStateItem[], stores: readonly state.NodeStoreSummary[], options: MemoryOptions): string {
  const groups = new Map<string, state.ObjectStateItem[]>();
  for (const o of objects) {
    const key = options.groupBy === "owner" ? o.ownerAddress : o.nodeId;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [o]);
    else group.push(o);
  }
  const lines: string[] = [];
  for (const [key, rows] of groups) {
    const sorted = sortRows(rows, options.sortBy);
    const total = rows.reduce((n, r) => n + (r.size ?? 0), 0);
    lines.push(`--- ${options.groupBy === "owner" ? "Owner" : "Node"} ${key}: ${rows.length} references, ${formatBytes(total)} ---`);
    lines.push(table(sorted.map((r) => ({ ...r, size: r.size === null ? null : formatBytes(r.size) })), COLUMNS), "");
  }
  if (objects.length === 0) lines.push("No live objects.", "");
  lines.push("--- Object stores ---");
  const storeRows = stores.map((s) => ({
    nodeId: s.nodeId,
    objects: s.objects,
    used: formatBytes(s.usedBytes),
    capacity: formatBytes(s.capacityBytes),
    spilled: formatBytes(s.spilledBytes),
  }));
  lines.push(table(storeRows, ["nodeId", "objects", "used", "capacity", "spilled"]));
  const used = stores.reduce((n, s) => n + s.usedBytes, 0);
  const spilled = stores.reduce((n, s) => n + s.spilledBytes, 0);
  lines.push("", `In all: ${formatBytes(used)} in object stores, ${formatBytes(spilled)} spilled, on ${stores.length} nodes.`);
  return `${lines.join("\n")}\n`;
}

function sortRows(rows: state.ObjectStateItem[], by: string | undefined): state.ObjectStateItem[] {
  if (by === "size") return [...rows].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  if (by === "pid") return [...rows].sort((a, b) => (a.pid ?? 0) - (b.pid ?? 0));
  if (by === "refType") return [...rows].sort((a, b) => a.refType.localeCompare(b.refType));
  return rows;
}
