/**
 * `Dataset<R>`: a lazy, typed dataset of rows of type R. Transforms return a new Dataset with
 * the row type they give; nothing runs until the data is consumed (see consume.ts).
 */
import * as lux from "lux";
import { InvalidOptionError } from "lux";
import { count, max, mean, min, std, sum, type AggregateSpec } from "./aggregate.js";
import { actorCompute, checkBatchFormat, checkBatchSize, isClass, taskCompute, type MapBatchesOptions, type MapOptions } from "./options.js";
import { knownSchema, type ActorCompute, type MapOp, type PlanNode, type StoredBlock, type TaskCompute } from "./plan.js";
import { checkColumns, checkSameSchema } from "./schema.js";
import type { BatchFormat, BatchIn, BatchOf, ColumnsBatch, Row, RowOfBatch, Simplify } from "./types.js";
import { DatasetConsumer, collectBlocks } from "./consume.js";
import { DataContext } from "./context.js";
import { DataIterator } from "./data-iterator.js";
import { SplitCoordinatorActor } from "./split-coordinator.js";

type AnyFn = (...args: never[]) => unknown;

function fnName(fn: Function): string {
  return fn.name !== "" ? fn.name : "<lambda>";
}

export class Dataset<R extends Row = Record<string, unknown>> extends DatasetConsumer<R> {
  private withStep(step: MapOp, compute: TaskCompute | ActorCompute): Dataset<never> {
    return new Dataset({ op: "map", input: this.plan, step, compute });
  }

  /** Each row through `fn`, which returns the new row. */
  map<O extends Row>(fn: (row: R) => O | Promise<O>, options: MapOptions = {}): Dataset<O> {
    const compute = taskCompute(options);
    return this.withStep({ kind: "map", name: `Map(${fnName(fn)})`, fn: lux.ship(fn as AnyFn) }, compute) as Dataset<O>;
  }

  /** Each row through `fn`, which returns zero or more rows. */
  flatMap<O extends Row>(fn: (row: R) => O[] | Promise<O[]>, options: MapOptions = {}): Dataset<O> {
    const compute = taskCompute(options);
    return this.withStep({ kind: "flatMap", name: `FlatMap(${fnName(fn)})`, fn: lux.ship(fn as AnyFn) }, compute) as Dataset<O>;
  }

  /** The rows for which `fn` returns a truthy value. */
  filter(fn: (row: R) => unknown, options: MapOptions = {}): Dataset<R> {
    const compute = taskCompute(options);
    return this.withStep({ kind: "filter", name: `Filter(${fnName(fn)})`, fn: lux.ship(fn as AnyFn) }, compute) as Dataset<R>;
  }

  /**
   * Batches of rows through `fn` (a function, run in tasks), or through the `call(batch)` of a
   * class's instances (run on an actor pool of `concurrency` actors, each built once).
   */
  mapBatches<T, F extends BatchFormat = "columns">(fn: (batch: BatchOf<R, F>) => T, options?: MapBatchesOptions<F>): Dataset<Simplify<RowOfBatch<BatchIn<T>>>>;
  mapBatches<A extends unknown[], T, F extends BatchFormat = "columns">(
    cls: new (...args: A) => { call(batch: BatchOf<R, F>): T },
    options: MapBatchesOptions<F> & { concurrency: number | readonly [number, number]; fnConstructorArgs?: A },
  ): Dataset<Simplify<RowOfBatch<BatchIn<T>>>>;
  mapBatches(fn: Function, options: MapBatchesOptions<BatchFormat> = {}): Dataset<Row> {
    const batchSize = checkBatchSize(options.batchSize);
    const batchFormat = checkBatchFormat(options.batchFormat);
    const shipped = lux.ship(fn) as lux.Shipped<AnyFn>;
    const step = { kind: "mapBatches" as const, name: `MapBatches(${fnName(fn)})`, fn: shipped, batchSize, batchFormat, isClass: isClass(fn) };
    const compute = isClass(fn) ? actorCompute(shipped, fnName(fn), options) : taskCompute(options);
    return new Dataset({ op: "map", input: this.plan, step, compute });
  }

  /** A new column `name` from each batch's columns: `fn` returns one value per row. */
  addColumn<K extends string, V>(name: K, fn: (batch: ColumnsBatch<R>) => readonly V[] | Float64Array | Int32Array, options: MapOptions = {}): Dataset<Simplify<Omit<R, K> & { [P in K]: V extends never ? number : V }>> {
    if (typeof name !== "string" || name === "") throw new InvalidOptionError({ option: "name", expected: "a column name (a non-empty string)", received: name });
    return this.withStep({ kind: "addColumn", name: `AddColumn(${name})`, column: name, fn: lux.ship(fn as AnyFn) }, taskCompute(options)) as never;
  }

  /** Only these columns, in this order. */
  selectColumns<K extends keyof R & string>(columns: readonly K[]): Dataset<Simplify<Pick<R, K>>> {
    this.checkKnownColumns(columns, "selectColumns");
    return this.withStep({ kind: "select", name: `SelectColumns(${columns.join(", ")})`, columns }, taskCompute({})) as never;
  }

  /** Every column but these. */
  dropColumns<K extends keyof R & string>(columns: readonly K[]): Dataset<Simplify<Omit<R, K>>> {
    this.checkKnownColumns(columns, "dropColumns");
    return this.withStep({ kind: "drop", name: `DropColumns(${columns.join(", ")})`, columns }, taskCompute({})) as never;
  }

  /** Rows grouped by the values of `keys`, for aggregate(), the count()/sum()/… shorthands and mapGroups(). */
  groupBy<K extends keyof R & string>(keys: K | readonly K[]): GroupedData<R, K> {
    const list = typeof keys === "string" ? [keys] : [...keys];
    this.checkKnownColumns(list, "groupBy");
    return new GroupedData<R, K>(this.plan, list);
  }

  /** Rows sorted by `key` (ascending unless `descending`). */
  sort(key: keyof R & string, options: { descending?: boolean } = {}): Dataset<R> {
    this.checkKnownColumns([key], "sort");
    return new Dataset({ op: "allToAll", input: this.plan, spec: { kind: "sort", key, descending: options.descending === true } });
  }

  /** The rows in a random order (the same order for the same `seed`). */
  randomShuffle(options: { seed?: number } = {}): Dataset<R> {
    return new Dataset({ op: "allToAll", input: this.plan, spec: { kind: "randomShuffle", seed: options.seed } });
  }

  /** The rows in `numBlocks` blocks: equal cuts in order, or at random with `shuffle`. */
  repartition(numBlocks: number, options: { shuffle?: boolean } = {}): Dataset<R> {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new InvalidOptionError({ option: "numBlocks", expected: "an integer >= 1", received: numBlocks });
    return new Dataset({ op: "allToAll", input: this.plan, spec: { kind: "repartition", numBlocks, shuffle: options.shuffle === true } });
  }

  /** The rows of this dataset, then those of `others` (which must have the same schema). */
  union(...others: Dataset<R>[]): Dataset<R> {
    const mine = knownSchema(this.plan);
    others.forEach((o, i) => {
      const theirs = knownSchema(o.plan);
      if (mine !== undefined && theirs !== undefined) checkSameSchema(theirs, mine, `dataset ${i + 2} of the union`, "the first dataset");
    });
    return new Dataset({ op: "union", inputs: [this.plan, ...others.map((o) => o.plan)] });
  }

  /** At most the first `n` rows (reads stop once they have them). */
  limit(n: number): Dataset<R> {
    if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError({ option: "n", expected: "an integer >= 0", received: n });
    return new Dataset({ op: "limit", input: this.plan, n });
  }

  /** Aggregations over all rows (one output row). */
  aggregate(...aggs: AggregateSpec[]): Dataset<Record<string, unknown>> {
    return new GroupedData<R, never>(this.plan, []).aggregate(...aggs);
  }

  private checkKnownColumns(columns: readonly string[], operation: string): void {
    const schema = knownSchema(this.plan);
    if (schema !== undefined) checkColumns(schema, columns, operation);
  }

  protected override make<T extends Row>(plan: PlanNode): Dataset<T> {
    return new Dataset<T>(plan);
  }

  /**
   * `n` iterators over disjoint parts of the rows, for `n` consumers at once (e.g. the workers
   * of a training run): a coordinator actor runs the execution and hands out blocks; each
   * epoch (every split's `iterBatches`) is a new execution, started once all splits asked for
   * it. `equal`: the same number of rows each (the remainder dropped); else whole blocks.
   * `localityHints` (node ids, one per split): without `equal`, a block goes to the split whose
   * node made it, while that split is at most one block ahead of the others.
   */
  streamingSplit(n: number, options: { equal?: boolean; localityHints?: readonly string[] } = {}): DataIterator<R>[] {
    if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError({ option: "n", expected: "an integer >= 1", received: n });
    const hints = options.localityHints;
    if (hints !== undefined && (!Array.isArray(hints) || hints.length !== n)) {
      throw new InvalidOptionError({ option: "localityHints", expected: `an array of ${n} node ids, one per split`, received: hints });
    }
    const settings = DataContext.getCurrent().snapshot();
    const coordinator = SplitCoordinatorActor.options({ numCpus: 0, maxConcurrency: 1000 }).remote(this.plan, n, options.equal === true, settings, hints);
    return Array.from({ length: n }, (_, i) => new DataIterator<R>(coordinator, i));
  }

  /** Runs the plan and keeps its blocks in the object store: a dataset that reads them instead of running again. */
  async materialize(): Promise<MaterializedDataset<R>> {
    const { blocks, stats } = await collectBlocks(this.plan);
    this.lastStats = stats;
    const ds = new MaterializedDataset<R>({ op: "input", name: "Materialized", blocks });
    ds.lastStats = stats;
    return ds;
  }
}

/** A dataset whose blocks are already in the object store (from `materialize()`). */
export class MaterializedDataset<R extends Row = Record<string, unknown>> extends Dataset<R> {
  /** Its number of blocks. */
  numBlocks(): number {
    return (this.plan as { blocks: readonly StoredBlock[] }).blocks.length;
  }
}

/** Column names of R whose values are numbers (what sum, mean and std read). */
type NumericKeys<R> = { [K in keyof R]: R[K] extends number | bigint | null ? K : never }[keyof R] & string;

/** `ds.groupBy(keys)`: aggregations per group (map/reduce over blocks), and mapGroups. */
export class GroupedData<R extends Row, K extends keyof R & string> {
  constructor(
    private readonly plan: PlanNode,
    private readonly keys: readonly K[],
  ) {}

  /** One row per group: its keys and each aggregation's column (`count()`, `sum(x)`, …). */
  aggregate(...aggs: AggregateSpec[]): Dataset<Simplify<Pick<R, K> & Record<string, unknown>>> {
    if (aggs.length === 0) throw new InvalidOptionError({ option: "aggs", expected: "at least one aggregation (data.count(), data.sum(col), …)", received: aggs });
    const schema = knownSchema(this.plan);
    if (schema !== undefined) checkColumns(schema, aggs.flatMap((a) => (a.column === undefined ? [] : [a.column])), "aggregate");
    return new Dataset({ op: "allToAll", input: this.plan, spec: { kind: "aggregate", keys: this.keys, aggs } });
  }

  count(): Dataset<Simplify<Pick<R, K> & { "count()": number }>> {
    return this.aggregate(count()) as never;
  }

  sum<C extends NumericKeys<R>>(column: C): Dataset<Simplify<Pick<R, K> & { [P in `sum(${C})`]: number }>> {
    return this.aggregate(sum(column)) as never;
  }

  min<C extends keyof R & string>(column: C): Dataset<Simplify<Pick<R, K> & { [P in `min(${C})`]: R[C] }>> {
    return this.aggregate(min(column)) as never;
  }

  max<C extends keyof R & string>(column: C): Dataset<Simplify<Pick<R, K> & { [P in `max(${C})`]: R[C] }>> {
    return this.aggregate(max(column)) as never;
  }

  mean<C extends NumericKeys<R>>(column: C): Dataset<Simplify<Pick<R, K> & { [P in `mean(${C})`]: number }>> {
    return this.aggregate(mean(column)) as never;
  }

  std<C extends NumericKeys<R>>(column: C): Dataset<Simplify<Pick<R, K> & { [P in `std(${C})`]: number | null }>> {
    return this.aggregate(std(column)) as never;
  }

  /** Each group (all its rows, as one batch) through `fn`, which returns a batch. */
  mapGroups<T, F extends BatchFormat = "columns">(fn: (group: BatchOf<R, F>) => T, options: { batchFormat?: F } = {}): Dataset<Simplify<RowOfBatch<BatchIn<T>>>> {
    const batchFormat = checkBatchFormat(options.batchFormat);
    return new Dataset({ op: "allToAll", input: this.plan, spec: { kind: "mapGroups", keys: this.keys, fn: lux.ship(fn as AnyFn), batchFormat } });
  }
}
