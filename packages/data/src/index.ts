/**
 * `@lux/data`: lazy, streaming datasets of Arrow blocks on Lux (Ray Data for TypeScript).
 * A `Dataset<Row>` is a plan; consuming it runs a streaming executor whose operators all run
 * at once under an object-store budget. See docs/data.md.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import * as data from "@lux/data";
 *
 * lux.main(async () => {
 *   await lux.init();
 *   const ds = data.range(1000).map((r) => ({ ...r, square: r.id * r.id })).filter((r) => r.square % 2 === 0);
 *   console.log(await ds.count()); // 500
 *   console.log(await ds.take(2)); // [{ id: 0, square: 0 }, { id: 2, square: 4 }]
 * });
 * ```
 */
export { Dataset, MaterializedDataset, GroupedData } from "./dataset.js";
export { DataIterator } from "./data-iterator.js";
export { range, fromItems, fromArrow, readParquet, readCsv, readJson, type ReadCsvOptions } from "./read-api.js";
export { count, sum, min, max, mean, std, unique, type AggregateSpec, type AggregateKind } from "./aggregate.js";
export { DataContext, type DataSettings } from "./context.js";
export { Schema, type SchemaFields } from "./schema.js";
export { ExecutionStats as DatasetStats } from "./executor/execution-stats.js";
export type { OperatorStats } from "./executor/operator.js";
export type { IterBatchesOptions } from "./consume.js";
export type { MapOptions, MapBatchesOptions, ComputeOptions } from "./options.js";
export type { Row, BatchFormat, BatchOf, ColumnsBatch, ColumnOf, RowOfBatch } from "./types.js";
export type { Columns } from "./batch.js";
export type { TypedArray, Column } from "./columns.js";
export {
  DataPathNotFoundError,
  SchemaMismatchError,
  InvalidRowError,
  InvalidBatchError,
  UnknownColumnError,
  DataIteratorError,
  InvalidOptionError,
  TaskError,
  ActorDiedError,
} from "lux";
