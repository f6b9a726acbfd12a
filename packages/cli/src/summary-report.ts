/** `lux summary`'s table: per function (tasks) or class (actors) a count per state; objects by ref type and call site. */
import { state } from "@lux/core";
import { table } from "./state-format.js";
import { formatBytes } from "./units.js";

export function summaryReport(kind: state.SummaryKind, summary: state.StateSummaries[state.SummaryKind]): string {
  return kind === "objects" ? objectsReport(summary as state.ObjectSummary) : countsReport(kind, summary as state.CountSummary);
}

function countsReport(kind: "tasks" | "actors", s: state.CountSummary): string {
  const known: readonly string[] = kind === "tasks" ? state.TASK_STATES : [];
  const states = [...known.filter((st) => st in s.byState), ...Object.keys(s.byState).filter((st) => !known.includes(st)).sort()];
  const nameColumn = kind === "tasks" ? "functionName" : "className";
  const rows = Object.entries(s.byName)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, byState]) => ({ [nameColumn]: name, total: Object.values(byState).reduce((x, y) => x + y, 0), ...byState }));
  const lines = [`${s.total} ${kind}: ${states.map((st) => `${s.byState[st] ?? 0} ${st}`).join(", ") || "none"}`];
  if (rows.length > 0) lines.push("", table(rows, [nameColumn, "total", ...states]));
  if (s.dropped > 0) lines.push("", `Dropped: ${s.dropped} tasks are no longer kept (taskEventsMax) or were never reported.`);
  return `${lines.join("\n")}\n`;
}

function objectsReport(s: state.ObjectSummary): string {
  const byType = Object.entries(s.byRefType).map(([refType, v]) => ({ refType, count: v.count, size: formatBytes(v.bytes) }));
  const bySite = Object.entries(s.byCallSite).map(([callSite, v]) => ({ callSite, count: v.count, size: formatBytes(v.bytes) }));
  const lines = [`${s.objects} objects referenced, ${formatBytes(s.bytes)}`];
  if (byType.length > 0) lines.push("", table(byType, ["refType", "count", "size"]), "", table(bySite, ["callSite", "count", "size"]));
  return `${lines.join("\n")}\n`;
}
