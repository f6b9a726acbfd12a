/** `ds.stats()`: per operator its rows, blocks, tasks and wall time, and the peak of blocks held in the store. */
import { inspect } from "node:util";
import type { OperatorStats } from "./operator.js";

export class ExecutionStats {
  constructor(
    readonly operators: OperatorStats[],
    readonly peakStoreBytes: number,
  ) {}

  /** A table, one line per operator. */
  toString(): string {
    const header = ["operator", "rows", "blocks", "tasks", "wall ms"];
    const rows = this.operators.map((o) => [o.name, String(o.rows), String(o.blocks), String(o.tasks), o.wallTimeMs.toFixed(0)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
    return [line(header), ...rows.map(line), `peak store bytes: ${this.peakStoreBytes}`].join("\n");
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
