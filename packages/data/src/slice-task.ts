/** Cuts row ranges of blocks into one block (repartition without a shuffle). */
import * as lux from "lux";
import { concatTables, decodeBlock, encodeBlock, metaOf, type EncodedBlock, type BlockMeta } from "./block.js";

export const sliceTask = lux.remote((ranges: readonly [number, number][], ...blocks: EncodedBlock[]): [EncodedBlock, BlockMeta] => {
  const table = concatTables(blocks.map((b, i) => decodeBlock(b).slice(...(ranges[i] as [number, number]))));
  const block = encodeBlock(table);
  return [block, metaOf(table, block)];
});
