/**
 * A block: an Arrow table (one record batch, usually) that travels through the object store
 * as Arrow IPC with its body kept apart: the schema as an IPC schema message, and per record
 * batch its field nodes and body buffers, each buffer a value of its own. The store writes a
 * large buffer straight from the table's memory (one copy, no IPC stream assembled first),
 * and a reader on the same node gets views of the store's pages that become the table's
 * vectors without a copy. Its metadata (rows, bytes, schema) travels beside it, small and inline.
 */
import { DataType, Message, RecordBatch, Schema, Struct, Table, makeData, tableFromIPC, tableToIPC, type Field } from "apache-arrow";
import { VectorAssembler } from "apache-arrow/visitor/vectorassembler";
import { VectorLoader } from "apache-arrow/visitor/vectorloader";
import * as lux from "lux";
import { schemaOf, type SchemaFields } from "./schema.js";

/** One record batch: its rows, its field nodes (length, null count; flattened) and its body buffers in IPC order. */
interface EncodedBatch {
  readonly length: number;
  readonly nodes: readonly number[];
  readonly buffers: readonly Uint8Array[];
}

/**
 * The encoded form of a block. A schema with dictionary-encoded columns is sent as one Arrow
 * IPC stream instead (`ipc`): its dictionaries are batches of their own.
 */
export type EncodedBlock = { readonly schema: Uint8Array; readonly batches: readonly EncodedBatch[] } | { readonly ipc: Uint8Array };

/** What the executor knows of a block without fetching it. */
export interface BlockMeta {
  readonly numRows: number;
  readonly sizeBytes: number;
  readonly schema: SchemaFields;
  /** For a block read from a CSV or JSON file: the file and its own schema (checked against the first file's). */
  readonly origin?: { readonly file: string; readonly schema: SchemaFields };
  /** The node that made it (whose store holds it, when it is not small enough to travel inline). */
  readonly node?: string;
}

/** Schemas encoded, by schema (tables made alike share theirs). */
const encodedSchemas = new WeakMap<Schema, Uint8Array>();

function hasDictionary(fields: readonly Field[]): boolean {
  return fields.some((f) => DataType.isDictionary(f.type) || hasDictionary(f.type.children ?? []));
}

export function encodeBlock(table: Table): EncodedBlock {
  if (hasDictionary(table.schema.fields)) return { ipc: tableToIPC(table, "stream") };
  let schema = encodedSchemas.get(table.schema);
  if (schema === undefined) {
    schema = Message.encode(Message.from(table.schema));
    encodedSchemas.set(table.schema, schema);
  }
  return { schema, batches: table.batches.map(encodeBatch) };
}

function encodeBatch(batch: RecordBatch): EncodedBatch {
  const assembled = VectorAssembler.assemble(batch);
  const nodes: number[] = [];
  for (const n of assembled.nodes) nodes.push(n.length, n.nullCount);
  // As bytes: the store keeps each buffer's kind, and the loader wants bytes.
  const buffers = assembled.buffers.map((b) => (b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  return { length: batch.numRows, nodes, buffers };
}

/** Schemas decoded, by their encoded bytes (a process sees few distinct ones). */
const decodedSchemas = new Map<string, Schema>();
const SCHEMA_CACHE_MAX = 256;

function decodeSchema(bytes: Uint8Array): Schema {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let schema = decodedSchemas.get(key);
  if (schema === undefined) {
    schema = Message.decode(bytes).header() as Schema;
    if (decodedSchemas.size >= SCHEMA_CACHE_MAX) decodedSchemas.clear();
    decodedSchemas.set(key, schema);
  }
  return schema;
}

/** Reads a batch's buffers from their own views rather than from one body. */
class BufferListLoader extends VectorLoader {
  constructor(
    nodes: readonly number[],
    private readonly list: readonly Uint8Array[],
  ) {
    const fieldNodes = [];
    for (let i = 0; i < nodes.length; i += 2) fieldNodes.push({ length: nodes[i] as number, nullCount: nodes[i + 1] as number });
    super(new Uint8Array(0), fieldNodes as never, list.map((b, i) => ({ offset: i, length: b.byteLength })) as never, new Map());
  }

  override readData(_type: DataType, range: { offset: number } = this.nextBufferRange()): Uint8Array {
    const bytes = this.list[range.offset] as Uint8Array;
    // A small buffer travels inline, where it may sit at any offset: typed arrays need alignment.
    return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  }
}

export function decodeBlock(block: EncodedBlock): Table {
  if ("ipc" in block) return tableFromIPC(block.ipc);
  const schema = decodeSchema(block.schema);
  const type = new Struct(schema.fields);
  const batches = block.batches.map((b) => {
    const children = new BufferListLoader(b.nodes, b.buffers).visitMany(schema.fields);
    return new RecordBatch(schema, makeData({ type, length: b.length, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

/** Bytes the block takes in the store (about). */
export function blockSize(block: EncodedBlock): number {
  if ("ipc" in block) return block.ipc.byteLength;
  let n = block.schema.byteLength;
  for (const b of block.batches) for (const buffer of b.buffers) n += buffer.byteLength;
  return n;
}

export function metaOf(table: Table, block: EncodedBlock): BlockMeta {
  const meta = { numRows: table.numRows, sizeBytes: blockSize(block), schema: schemaOf(table.schema) };
  const node = thisNode();
  return node === undefined ? meta : { ...meta, node };
}

let nodeId: string | undefined;

/** This process's node (undefined before lux.init). */
function thisNode(): string | undefined {
  if (nodeId === undefined && lux.isInitialized()) nodeId = lux.getRuntimeContext().nodeId;
  return nodeId;
}

/** The tables as one (their schemas must match; the caller checked). */
export function concatTables(tables: readonly Table[]): Table {
  const nonEmpty = tables.filter((t) => t.numRows > 0);
  const first = nonEmpty[0] ?? tables[0];
  if (first === undefined) return new Table();
  if (nonEmpty.length <= 1) return first;
  return first.concat(...nonEmpty.slice(1));
}

/** Cuts a table into tables of at most `rows` rows (views, no copy). */
export function* sliceRows(table: Table, rows: number): Generator<Table> {
  if (table.numRows <= rows) {
    yield table;
    return;
  }
  for (let start = 0; start < table.numRows; start += rows) yield table.slice(start, Math.min(table.numRows, start + rows));
}
