/** How `lux list|get|summary|memory` print: aligned tables for people, JSON or YAML for programs. */
import { stringify } from "yaml";
import { state } from "@lux/core";
import { CliError } from "./errors.js";

export const FORMATS = ["table", "json", "yaml"] as const;
export type Format = (typeof FORMATS)[number];

export function checkFormat(format: string): Format {
  if ((FORMATS as readonly string[]).includes(format)) return format as Format;
  throw new CliError(`--format ${format}: say one of ${FORMATS.join(", ")}`, 2);
}

/** A value as JSON (two-space indented) or YAML. */
export function structured(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

/** One table cell: "-" for nothing, compact JSON for objects and arrays. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Rows under upper-case headers, each column as wide as its widest cell. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const headers = columns.map(header);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number))).join("  ");
  return [line(headers), ...cells.map(line)].join("\n");
}

/** "functionName" → "FUNCTION_NAME". */
function header(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * A page as `--format` says: JSON or YAML of `{ items, nextPageToken, total, dropped }`, or a
 * table of the kind's fields (every field the items have, with --detail) and a footer.
 */
export function formatPage(kind: state.StateKind, page: state.StatePage<object>, format: Format, detail: boolean): string {
  if (format !== "table") return structured(page, format);
  const rows = page.items as Record<string, unknown>[];
  const columns: string[] = detail ? [...new Set(rows.flatMap((r) => Object.keys(r)))] : [...state.STATE_FIELDS[kind]];
  const lines = rows.length === 0 ? [`No ${kind} match.`] : [table(rows, columns)];
  lines.push("", `Showing ${rows.length} of ${page.total} ${kind}.`);
  if (page.nextPageToken !== null) lines.push(`Next page: --page-token ${page.nextPageToken}`);
  if (page.dropped > 0) lines.push(`Dropped: ${page.dropped} tasks are no longer kept (taskEventsMax) or were never reported; see docs/observability.md.`);
  return `${lines.join("\n")}\n`;
}
