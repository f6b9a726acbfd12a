/**
 * The logical plan: what a Dataset is, as plain data (it travels to a split's coordinator
 * actor). Each node names its input; users' functions are `lux.ship`ped values.
 */
import type { ObjectRef, Shipped } from "lux";
import type { AggregateSpec } from "./aggregate.js";
import type { BatchFormat } from "./batch.js";
import type { EncodedBlock, BlockMeta } from "./block.js";
import type { SchemaFields } from "./schema.js";
import type { SourceSpec } from "./sources/source-spec.js";
import type { WriteSpec } from "./write-spec.js";

type AnyFn = (...args: never[]) => unknown;
/** A shipped user function (its type is checked where it is given). */
export type ShippedFn = Shipped<AnyFn>;

/** A step run on each block inside a task (several fuse into one task). */
export type MapOp =
  | { readonly kind: "map" | "flatMap" | "filter"; readonly name: string; readonly fn: Shipped<AnyFn> }
  | {
      readonly kind: "mapBatches";
      readonly name: string;
      readonly fn: Shipped<AnyFn>;
      readonly batchSize: number | undefined;
      readonly batchFormat: BatchFormat;
      /** The function is a class's `call`, run by the actors of the step's pool. */
      readonly isClass: boolean;
    }
  | { readonly kind: "addColumn"; readonly name: string; readonly column: string; readonly fn: Shipped<AnyFn> }
  | { readonly kind: "select" | "drop"; readonly name: string; readonly columns: readonly string[] }
  | { readonly kind: "write"; readonly name: string; readonly spec: WriteSpec };

/** How the tasks of a map step run. */
export interface TaskCompute {
  readonly kind: "tasks";
  readonly numCpus: number;
  readonly maxRetries: number;
  /** At most this many tasks of the step at once. */
  readonly concurrency: number | undefined;
}

/** A class UDF: an actor pool of `min`..`max` actors, each built once with `ctorArgs`. */
export interface ActorCompute {
  readonly kind: "actors";
  readonly cls: Shipped<AnyFn>;
  readonly ctorArgs: readonly unknown[];
  readonly min: number;
  readonly max: number;
  readonly numCpus: number;
  readonly maxRestarts: number;
  readonly maxTaskRetries: number;
}

/** A block already in the object store, with its metadata. */
export interface StoredBlock {
  readonly ref: ObjectRef<EncodedBlock>;
  readonly meta: BlockMeta;
}

export type AllToAllSpec =
  | { readonly kind: "sort"; readonly key: string; readonly descending: boolean }
  | { readonly kind: "randomShuffle"; readonly seed: number | undefined }
  | { readonly kind: "repartition"; readonly numBlocks: number; readonly shuffle: boolean }
  | { readonly kind: "aggregate"; readonly keys: readonly string[]; readonly aggs: readonly AggregateSpec[] }
  | { readonly kind: "mapGroups"; readonly keys: readonly string[]; readonly fn: Shipped<AnyFn>; readonly batchFormat: BatchFormat };

export type PlanNode =
  | { readonly op: "read"; readonly source: SourceSpec }
  | { readonly op: "input"; readonly name: string; readonly blocks: readonly StoredBlock[] }
  | { readonly op: "map"; readonly input: PlanNode; readonly step: MapOp; readonly compute: TaskCompute | ActorCompute }
  | { readonly op: "limit"; readonly input: PlanNode; readonly n: number }
  | { readonly op: "allToAll"; readonly input: PlanNode; readonly spec: AllToAllSpec }
  | { readonly op: "union"; readonly inputs: readonly PlanNode[] };

/** The name of an all-to-all step as explain() and stats() show it. */
export function allToAllName(spec: AllToAllSpec): string {
  switch (spec.kind) {
    case "sort":
      return `Sort(${spec.key})`;
    case "randomShuffle":
      return "RandomShuffle";
    case "repartition":
      return `Repartition(${spec.numBlocks})`;
    case "aggregate":
      return `Aggregate(${spec.keys.join(", ")})`;
    case "mapGroups":
      return `MapGroups(${spec.fn.name || "fn"})`;
  }
}

/** The schema a plan is known to have without running it (reads with known schemas, column picks), if any. */
export function knownSchema(node: PlanNode): SchemaFields | undefined {
  switch (node.op) {
    case "read":
      return node.source.schema;
    case "input":
      return node.blocks.find((b) => b.meta.numRows > 0)?.meta.schema ?? node.blocks[0]?.meta.schema;
    case "limit":
      return knownSchema(node.input);
    case "allToAll":
      return node.spec.kind === "sort" || node.spec.kind === "randomShuffle" || node.spec.kind === "repartition" ? knownSchema(node.input) : undefined;
    case "union":
      return node.inputs[0] === undefined ? undefined : knownSchema(node.inputs[0]);
    case "map": {
      const input = knownSchema(node.input);
      if (input === undefined) return undefined;
      if (node.step.kind === "select") return node.step.columns.map((c) => input.find((f) => f.name === c) ?? { name: c, type: "Null" });
      if (node.step.kind === "drop") return input.filter((f) => !(node.step as { columns: readonly string[] }).columns.includes(f.name));
      if (node.step.kind === "filter") return input;
      return undefined;
    }
  }
}

/** The row count a plan is known to have without running it, if any. */
export function knownCount(node: PlanNode): number | undefined {
  switch (node.op) {
    case "read":
      return node.source.numRows;
    case "input":
      return node.blocks.reduce((n, b) => n + b.meta.numRows, 0);
    case "limit": {
      const n = knownCount(node.input);
      return n === undefined ? undefined : Math.min(n, node.n);
    }
    case "allToAll":
      return node.spec.kind === "aggregate" || node.spec.kind === "mapGroups" ? undefined : knownCount(node.input);
    case "union": {
      const counts = node.inputs.map(knownCount);
      return counts.some((c) => c === undefined) ? undefined : counts.reduce((a, b) => (a as number) + (b as number), 0);
    }
    case "map":
      return node.step.kind === "select" || node.step.kind === "drop" || node.step.kind === "addColumn" || node.step.kind === "map" ? knownCount(node.input) : undefined;
  }
}
