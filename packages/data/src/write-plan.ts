/** A write as a plan: a map step (fused into the tasks that make the blocks) writing each block to its own file. */
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import type { PlanNode } from "./plan.js";

export type WriteFormat = "parquet" | "csv" | "json";

const NAMES = { parquet: "WriteParquet", csv: "WriteCSV", json: "WriteJSON" } as const;

export function writePlan(input: PlanNode, format: WriteFormat, dir: string): PlanNode {
  const spec = { format, dir: path.resolve(dir), prefix: randomUUID().slice(0, 8) };
  return {
    op: "map",
    input,
    step: { kind: "write", name: NAMES[format], spec },
    compute: { kind: "tasks", numCpus: 1, maxRetries: 3, concurrency: undefined },
  };
}
