/**
 * The tasks an execution runs (made remote while this module is evaluated: workers find them
 * by importing it). Each is a streaming generator that yields, per block, the block's bytes
 * and then its metadata, so the executor knows a block's rows and size without fetching it.
 */
import type { Table } from "apache-arrow";
import * as lux from "lux";
import { decodeBlock, encodeBlock, metaOf, concatTables, type BlockBytes, type BlockMeta } from "./block.js";
import { applyChain, loadChain } from "./chain.js";
import type { MapOp } from "./plan.js";
import { readTables } from "./read-tables.js";
import type { ReadTaskSpec } from "./sources/source-spec.js";
import { schemaOf } from "./schema.js";

/** What a task yields: a block's bytes, then its metadata (and so on). */
export type BlockItem = BlockBytes | BlockMeta;

/** Cuts a table into blocks of about `targetBytes` and yields each block's bytes and metadata. */
export function* blockItems(table: Table, targetBytes: number, origin?: BlockMeta["origin"]): Generator<BlockItem> {
  const bytes = encodeBlock(table);
  if (bytes.byteLength <= targetBytes || table.numRows <= 1) {
    yield bytes;
    yield origin === undefined ? metaOf(table, bytes) : { ...metaOf(table, bytes), origin };
    return;
  }
  const parts = Math.ceil(bytes.byteLength / targetBytes);
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

export const mapTask = lux.remote(async function* mapBlocks(chain: readonly MapOp[], targetBytes: number, taskKey: string, ...blocks: BlockBytes[]) {
  const steps = await loadChain(chain);
  const input = concatTables(blocks.map(decodeBlock));
  yield* blockItems(await applyChain(input, steps, undefined, taskKey), targetBytes);
});
