/**
 * Consuming a dataset: iterating batches or rows, taking rows, counting, the schema, Arrow,
 * writes and statistics. Each consumption is a new execution of the plan.
 */
import type { Table } from "apache-arrow";
import * as lux from "lux";
import { Batcher } from "./batcher.js";
import { toFormat } from "./batch.js";
import { concatTables, decodeBlock, type EncodedBlock } from "./block.js";
import { DataContext } from "./context.js";
import type { Bundle } from "./executor/bundle.js";
import { Execution } from "./executor/executor.js";
import { getBlock } from "./executor/lineage.js";
import { ExecutionStats } from "./executor/execution-stats.js";
import { explainPlan } from "./explain.js";
import { checkBatchFormat, checkBatchSize } from "./options.js";
import { knownCount, knownSchema, type PlanNode, type StoredBlock } from "./plan.js";
import { Schema } from "./schema.js";
import { resolveReadTasks } from "./sources/resolve.js";
import type { BatchFormat, BatchOf, Row } from "./types.js";
import { writePlan, type WriteFormat } from "./write-plan.js";

export interface IterBatchesOptions<F extends BatchFormat = "columns"> {
  /** Rows per batch; default 256. `null`: each block as one batch. */
  batchSize?: number | null;
  batchFormat?: F;
  /** Blocks fetched ahead of the one being read. Default 1. */
  prefetchBatches?: number;
  /** Mix rows in a buffer of at least this many before each batch. */
  localShuffleBufferSize?: number;
  localShuffleSeed?: number;
  /** Leave out a last batch smaller than batchSize. */
  dropLast?: boolean;
}

/** The blocks of a run of `plan`, in its output order; each fetched ahead by `prefetch`. */
export async function* runBlocks(plan: PlanNode, onStats: (s: ExecutionStats) => void, prefetch = 1): AsyncGenerator<Table> {
  const exec = await Execution.start(plan, DataContext.getCurrent().snapshot());
  const ahead: { bundle: Bundle; got: Promise<{ block: EncodedBlock; bundle: Bundle }> }[] = [];
  try {
    for (;;) {
      while (ahead.length <= prefetch) {
        const bundle = await exec.next();
        if (bundle === undefined) break;
        const got = getBlock(bundle);
        got.catch(() => undefined);
        ahead.push({ bundle, got });
      }
      const first = ahead.shift();
      if (first === undefined) return;
      const { block, bundle } = await first.got;
      const table = decodeBlock(block);
      exec.release([first.bundle]);
      // A block made again after a loss: freed now too (the table's views keep what they read).
      if (bundle !== first.bundle) await lux.free([bundle.ref]);
      yield table;
    }
  } finally {
    onStats(exec.stats());
    await exec.close();
  }
}

export abstract class DatasetConsumer<R extends Row> {
  protected lastStats: ExecutionStats | undefined;

  constructor(
    /** The logical plan (plain data). */
    readonly plan: PlanNode,
  ) {}

  protected abstract make<T extends Row>(plan: PlanNode): DatasetConsumer<T>;

  protected blocks(prefetch = 1): AsyncGenerator<Table> {
    return runBlocks(this.plan, (s) => (this.lastStats = s), prefetch);
  }

  /** Batches of rows, as `batchFormat` says ("columns" by default). */
  async *iterBatches<F extends BatchFormat = "columns">(options: IterBatchesOptions<F> = {}): AsyncGenerator<BatchOf<R, F>> {
    const format = checkBatchFormat(options.batchFormat);
    const batchSize = options.batchSize === null ? undefined : (checkBatchSize(options.batchSize) ?? 256);
    const batcher = new Batcher({ batchSize, dropLast: options.dropLast === true, shuffleBufferSize: options.localShuffleBufferSize, shuffleSeed: options.localShuffleSeed });
    for await (const table of this.blocks(options.prefetchBatches ?? 1)) {
      batcher.add(table);
      for (const batch of batcher.take(false)) yield toFormat(batch, format) as BatchOf<R, F>;
    }
    for (const batch of batcher.take(true)) yield toFormat(batch, format) as BatchOf<R, F>;
  }

  /** The rows, one at a time. */
  async *iterRows(): AsyncGenerator<R> {
    for await (const rows of this.iterBatches({ batchFormat: "rows", batchSize: null })) yield* rows;
  }

  /** Every row. */
  async takeAll(): Promise<R[]> {
    const out: R[] = [];
    for await (const rows of this.iterBatches({ batchFormat: "rows", batchSize: null })) for (const r of rows) out.push(r);
    return out;
  }

  /** The first `n` rows (20 by default). */
  async take(n = 20): Promise<R[]> {
    return this.make<R>({ op: "limit", input: this.plan, n }).takeAll() as Promise<R[]>;
  }

  /** The rows as one Arrow table. */
  async toArrow(): Promise<Table> {
    const tables: Table[] = [];
    for await (const t of this.blocks()) tables.push(t);
    return concatTables(tables);
  }

  /** The number of rows (from metadata when the plan allows, without reading the data). */
  async count(): Promise<number> {
    const known = knownCount(this.plan) ?? (await sourceCount(this.plan));
    if (known !== undefined) return known;
    const exec = await Execution.start(this.plan, DataContext.getCurrent().snapshot());
    let n = 0;
    try {
      for (let b = await exec.next(); b !== undefined; b = await exec.next()) {
        n += b.meta.numRows;
        exec.release([b]);
      }
    } finally {
      this.lastStats = exec.stats();
      await exec.close();
    }
    return n;
  }

  /** The columns and their Arrow types (from metadata when the plan allows, else from the first block). */
  async schema(): Promise<Schema> {
    const known = knownSchema(this.plan) ?? (await sourceSchema(this.plan));
    if (known !== undefined) return new Schema(known);
    for await (const t of this.make<R>({ op: "limit", input: this.plan, n: 1 }).blocks(0)) {
      if (t.numRows > 0 || t.schema.fields.length > 0) return new Schema(t.schema.fields.map((f) => ({ name: f.name, type: String(f.type) })));
    }
    return new Schema([]);
  }

  /** The optimized plan: one line per operator, fused steps joined by "->" (e.g. `ReadParquet->MapBatches(f)->Filter(g)`). */
  explain(): string {
    return explainPlan(this.plan).join("\n");
  }

  /** What the last execution of this dataset did: per operator rows, blocks, tasks and wall time; the peak of blocks held in the store. */
  stats(): ExecutionStats {
    return this.lastStats ?? new ExecutionStats([], 0);
  }

  /** One Parquet file per block in `dir`, written by tasks. */
  writeParquet(dir: string): Promise<void> {
    return this.write("parquet", dir);
  }

  /** One CSV file (with a header) per block in `dir`; booleans as true/false, timestamps as ISO 8601. */
  writeCsv(dir: string): Promise<void> {
    return this.write("csv", dir);
  }

  /** One JSON Lines file per block in `dir`. */
  writeJson(dir: string): Promise<void> {
    return this.write("json", dir);
  }

  private async write(format: WriteFormat, dir: string): Promise<void> {
    const written = this.make(writePlan(this.plan, format, dir));
    for await (const t of written.blocks()) void t;
    this.lastStats = written.lastStats;
  }
}

/** Runs `plan` and keeps every block (none is freed: the caller holds them). */
export async function collectBlocks(plan: PlanNode): Promise<{ blocks: StoredBlock[]; stats: ExecutionStats }> {
  const exec = await Execution.start(plan, DataContext.getCurrent().snapshot());
  const blocks: StoredBlock[] = [];
  try {
    for (let b = await exec.next(); b !== undefined; b = await exec.next()) {
      blocks.push({ ref: b.ref, meta: b.meta });
      exec.keep(b);
    }
  } finally {
    await exec.close();
  }
  return { blocks, stats: exec.stats() };
}

async function sourceCount(plan: PlanNode): Promise<number | undefined> {
  if (plan.op === "read" && plan.source.format === "parquet") return (await resolveReadTasks(plan.source)).numRows;
  if (plan.op === "map" && (plan.step.kind === "select" || plan.step.kind === "drop" || plan.step.kind === "map")) return sourceCount(plan.input);
  return undefined;
}

async function sourceSchema(plan: PlanNode): Promise<Schema["fields"] | undefined> {
  if (plan.op === "read" && plan.source.format === "parquet") return (await resolveReadTasks(plan.source)).schema;
  return undefined;
}
