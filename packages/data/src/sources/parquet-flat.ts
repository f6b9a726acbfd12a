/**
 * A flat (not nested) numeric Parquet column of one row group, read page by page straight
 * into a typed array of its Arrow type, with a validity bitmap when some values are null.
 * hyparquet's own reader assembles a nullable column into a plain array, a boxed value at a
 * time (most of a read's time, and most of its garbage); here its page decoders are used
 * (pinned hyparquet 1.33.0, whose modules export them) and the assembly is this loop.
 */
import type { AsyncBuffer, FileMetaData, PageHeader } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { parquetHeader, readPage } from "hyparquet/src/column.js";
import { DEFAULT_PARSERS, convert, convertWithDictionary } from "hyparquet/src/convert.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { readPlain } from "hyparquet/src/plain.js";
import { getMaxDefinitionLevel, getTreePath, isFlatColumn } from "hyparquet/src/schema.js";
import { parquetSchema } from "hyparquet";
import { Float32, Float64, Int32, Int64, makeData, makeVector, type DataType, type Vector } from "apache-arrow";

type ColumnDecoder = Parameters<typeof readDataPage>[2];
type Values = ArrayLike<unknown>;
type Output = Int32Array | BigInt64Array | Float32Array | Float64Array;

/** The row group whose rows are exactly [start, end), or -1. */
export function rowGroupAt(metadata: FileMetaData, start: number, end: number): number {
  let at = 0;
  for (const [i, g] of metadata.row_groups.entries()) {
    const rows = Number(g.num_rows);
    if (at === start && at + rows === end) return i;
    at += rows;
  }
  return -1;
}

/** The column as a vector of `type`, or undefined when it is not a flat column of a fixed-width number type. */
export async function readFlatColumn(file: AsyncBuffer, metadata: FileMetaData, group: number, name: string, type: DataType | undefined): Promise<Vector | undefined> {
  if (!(type instanceof Int32 || type instanceof Int64 || type instanceof Float32 || type instanceof Float64)) return undefined;
  const schemaPath = getTreePath(parquetSchema(metadata), [name]);
  if (!isFlatColumn(schemaPath)) return undefined;
  const chunk = metadata.row_groups[group]?.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name);
  const meta = chunk?.meta_data;
  if (chunk === undefined || meta === undefined || chunk.file_path !== undefined) return undefined;
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const bytes = await file.slice(start, start + Number(meta.total_compressed_size));
  const decoder = {
    pathInSchema: meta.path_in_schema,
    element: (schemaPath[schemaPath.length - 1] as (typeof schemaPath)[number]).element,
    schemaPath,
    ...meta,
    compressors,
    parsers: DEFAULT_PARSERS,
  } as unknown as ColumnDecoder;
  const rows = Number(metadata.row_groups[group]?.num_rows ?? 0);
  const ArrayType = type.ArrayType as unknown as new (n: number) => Output;
  const out = new ColumnOut(new ArrayType(rows), getMaxDefinitionLevel(schemaPath));
  readPages(new DataView(bytes), decoder, rows, out);
  return makeVector(makeData({ type, length: rows, nullCount: out.nullCount, data: out.values, nullBitmap: out.bitmap } as never));
}

/** Decodes the chunk's pages into `out` until it has `rows` rows. */
function readPages(view: DataView, decoder: ColumnDecoder, rows: number, out: ColumnOut): void {
  const reader = { view, offset: 0 };
  let dictionary: Values | undefined;
  while (out.rows < rows && reader.offset < view.byteLength) {
    const header: PageHeader = parquetHeader(reader);
    if (header.type === "DICTIONARY_PAGE") {
      const { data } = readPage(reader, header, decoder, undefined, undefined, 0);
      if (data !== undefined) dictionary = convert(data, decoder);
      continue;
    }
    const compressed = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DATA_PAGE" && header.data_page_header !== undefined) {
      const daph = header.data_page_header;
      const page = decompressPage(compressed, Number(header.uncompressed_page_size), decoder.codec, decoder.compressors);
      if (readTypedPage(page, daph, decoder, dictionary, out)) continue;
      const { definitionLevels, dataPage } = readDataPage(page, daph, decoder);
      out.add(daph.num_values, definitionLevels, convertWithDictionary(dataPage, dictionary as never, daph.encoding, decoder));
    } else if (header.type === "DATA_PAGE_V2" && header.data_page_header_v2 !== undefined) {
      const daph2 = header.data_page_header_v2;
      const { definitionLevels, dataPage } = readDataPageV2(compressed, header, decoder);
      out.add(daph2.num_values, definitionLevels, convertWithDictionary(dataPage, dictionary as never, daph2.encoding, decoder));
    }
  }
}

type DataPageHeader = Parameters<typeof readDataPage>[1];

/**
 * A version-1 data page whose levels and values are the usual ones (definition levels RLE,
 * values PLAIN or dictionary indices), decoded into typed arrays with hyparquet's own
 * decoders and scattered straight into `out`: no array of boxed levels or values per page.
 * False (nothing read) for any other page, which hyparquet's readDataPage then decodes.
 */
function readTypedPage(page: Uint8Array, daph: DataPageHeader, decoder: ColumnDecoder, dictionary: Values | undefined, out: ColumnOut): boolean {
  const dictionaryEncoded = daph.encoding === "PLAIN_DICTIONARY" || daph.encoding === "RLE_DICTIONARY";
  if (!(daph.encoding === "PLAIN" || (dictionaryEncoded && dictionary !== undefined)) || out.maxDefinition > 1) return false;
  if (out.maxDefinition === 1 && daph.definition_level_encoding !== "RLE") return false;
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  const count = Math.min(daph.num_values, out.values.length - out.rows);
  let defs: Uint8Array | undefined;
  let present = daph.num_values;
  if (out.maxDefinition === 1) {
    defs = new Uint8Array(daph.num_values);
    readRleBitPackedHybrid(reader, 1, defs);
    for (const d of defs) if (d === 0) present--;
    if (present === daph.num_values) defs = undefined;
  }
  if (daph.encoding === "PLAIN") {
    out.add(count, defs?.subarray(0, count), present === 0 ? [] : readPlain(reader, decoder.type, present, decoder.element.type_length));
    return true;
  }
  const bitWidth = reader.view.getUint8(reader.offset++);
  const indices = new Int32Array(present);
  if (bitWidth > 0) readRleBitPackedHybrid(reader, bitWidth, indices, reader.view.byteLength - reader.offset);
  out.addIndexed(count, defs, indices, dictionary as Values);
  return true;
}

/** A column's values as pages add them, nulls marked in a validity bitmap made at the first one. */
class ColumnOut {
  rows = 0;
  nullCount = 0;
  bitmap: Uint8Array | undefined;

  constructor(
    readonly values: Output,
    readonly maxDefinition: number,
  ) {}

  /** A page of `count` rows: `defs` empty when none is null, `values` the non-null ones in order. */
  add(count: number, defs: ArrayLike<number> | undefined, values: Values): void {
    const n = Math.min(count, this.values.length - this.rows);
    const out = this.values;
    const at = this.rows;
    const dense = defs === undefined || defs.length === 0;
    if (dense && values instanceof out.constructor) {
      out.set((values as unknown as Output).subarray(0, n) as never, at);
    } else if (out instanceof BigInt64Array) {
      let v = 0;
      for (let j = 0; j < n; j++) {
        if (dense || defs[j] === this.maxDefinition) out[at + j] = BigInt(values[v++] as bigint);
        else this.markNull(at + j);
      }
    } else if (dense) {
      // A typed array converts what it is given to its own type.
      for (let j = 0; j < n; j++) out[at + j] = values[j] as number;
    } else {
      let v = 0;
      for (let j = 0; j < n; j++) {
        if (defs[j] === this.maxDefinition) out[at + j] = values[v++] as number;
        else this.markNull(at + j);
      }
    }
    this.rows += n;
  }

  /** A page whose non-null values are `dictionary[indices[k]]`, in order. */
  addIndexed(count: number, defs: Uint8Array | undefined, indices: Int32Array, dictionary: Values): void {
    const out = this.values;
    if (out instanceof BigInt64Array) {
      const values = Array.from(indices, (k) => dictionary[k]);
      this.add(count, defs, values);
      return;
    }
    const at = this.rows;
    const n = Math.min(count, out.length - at);
    const dict = dictionary as ArrayLike<number>;
    if (defs === undefined) {
      for (let j = 0; j < n; j++) out[at + j] = dict[indices[j] as number] as number;
    } else {
      let v = 0;
      for (let j = 0; j < n; j++) {
        if (defs[j] === 1) out[at + j] = dict[indices[v++] as number] as number;
        else this.markNull(at + j);
      }
    }
    this.rows += n;
  }

  private markNull(i: number): void {
    this.bitmap ??= new Uint8Array((this.values.length + 7) >> 3).fill(0xff);
    (this.bitmap[i >> 3] as number) &= ~(1 << (i & 7));
    this.nullCount++;
  }
}
