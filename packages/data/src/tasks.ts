/**
 * The tasks an execution runs (made remote while this module is evaluated: workers find them
 * by importing it). Each is a streaming generator that yields, per block, the encoded block
 * and then its metadata, so the executor knows a block's rows and size without fetching it.
 */
import type { Table } from "apache-arrow";
import * as lux from "lux";
import { blockSize, decodeBlock, encodeBlock, metaOf, concatTables, type EncodedBlock, type BlockMeta } from "./block.js";
import { applyChain, loadChain } from "./chain.js";
import type { MapOp } from "./plan.js";
import { readTables } from "./read-tables.js";
import type { ReadTaskSpec } from "./sources/source-spec.js";
import { schemaOf } from "./schema.js";

/** What a task yields: a block (encoded), then its metadata (and so on). */
export type BlockItem = EncodedBlock | BlockMeta;

/** Cuts a table into blocks of about `targetBytes` and yields each block and its metadata. */
export function* blockItems(table: Table, targetBytes: number, origin?: BlockMeta["origin"]): Generator<BlockItem> {
  const block = encodeBlock(table);
  const size = blockSize(block);
  if (size <= targetBytes || table.numRows <= 1) {
    yield block;
    yield origin === undefined ? metaOf(table, block) : { ...metaOf(table, block), origin };
    return;
  }
  const parts = Math.ceil(size / targetBytes);
  const rows = Math.ceil(table.numRows / parts);
  for (let start = 0; start < table.numRows; start += rows) {
    yield* blockItems(table.slice(start, Math.min(table.numRows, start + rows)), Infinity, origin);
  }
}

function fileOf(spec: ReadTaskSpec): string | undefined {
  return spec.kind === "range" ? undefined : spec.path;
}

export const readTask = lux.remote(async function* readBlocks(spec: ReadTaskSpec, chain: readonly MapOp[], targetBytes: number, taskKey: string) {
  const steps = await loadChain(chain);
  let k = 0;
  const file = fileOf(spec);
  for await (const table of readTables(spec, targetBytes)) {
    const origin = file === undefined || spec.kind === "parquet" ? undefined : { file, schema: schemaOf(table.schema) };
    const out = await applyChain(table, steps, undefined, `${taskKey}_${k++}`);
    yield* blockItems(out, targetBytes, origin);
  }
});

/**
 * A map step's task: a plain task whose two returns are the block and its metadata (no item
 * round trips with the executor, as a generator's). Its output is one block, whatever its size.
 */
export const mapBlockTask = lux.remote(async function mapBlock(chain: readonly MapOp[], taskKey: string, ...blocks: EncodedBlock[]): Promise<[EncodedBlock, BlockMeta]> {
  const steps = await loadChain(chain);
  const table = await applyChain(concatTables(blocks.map(decodeBlock)), steps, undefined, taskKey);
  const block = encodeBlock(table);
  return [block, metaOf(table, block)];
});
