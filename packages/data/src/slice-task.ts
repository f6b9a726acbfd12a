/** Cuts row ranges of blocks into one block (repartition without a shuffle). */
import * as lux from "lux";
import { concatTables, decodeBlock, encodeBlock, metaOf, type BlockBytes, type BlockMeta } from "./block.js";

export const sliceTask = lux.remote((ranges: readonly [number, number][], ...blocks: BlockBytes[]): [BlockBytes, BlockMeta] => {
  const table = concatTables(blocks.map((b, i) => decodeBlock(b).slice(...(ranges[i] as [number, number]))));
  const bytes = encodeBlock(table);
  return [bytes, metaOf(table, bytes)];
});
