/**
 * Arrow columns to JavaScript values and back. A null-free numeric column comes out as a
 * typed array that is a view of the Arrow buffer (no copy); other columns as arrays of plain
 * values (strings, booleans, numbers, bigints, Dates, nested arrays and objects, null).
 */
import {
  Bool,
  Field,
  Float64,
  List,
  Int64,
  TimestampMillisecond,
  Type,
  Utf8,
  makeVector,
  vectorFromArray,
  type DataType,
  type Vector,
} from "apache-arrow";

export type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

/** A column of a "columns" batch. */
export type Column = TypedArray | unknown[];

const NUMERIC = new Set<Type>([Type.Float, Type.Int]);

/** The values of a column: a typed-array view when it is numeric, null-free and in one chunk. */
export function columnValues(vector: Vector): Column {
  const type = vector.type as DataType;
  if (NUMERIC.has(type.typeId) && vector.nullCount === 0) return vector.toArray() as TypedArray;
  if (type.typeId === Type.Timestamp || type.typeId === Type.Date) {
    return Array.from(vector, (v: unknown) => (v === null ? null : new Date(Number(v))));
  }
  if (type.typeId === Type.Utf8 || type.typeId === Type.Bool || NUMERIC.has(type.typeId) || type.typeId === Type.Dictionary) {
    return Array.from(vector as Iterable<unknown>);
  }
  return Array.from(vector as Iterable<unknown>, plain);
}

/** A nested Arrow value (struct row, list vector) as plain objects and arrays. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Date) return v;
  const asVector = v as { toArray?: () => unknown; [Symbol.iterator]?: unknown; toJSON?: () => unknown };
  if (typeof asVector.toJSON === "function" && typeof asVector[Symbol.iterator] !== "function") {
    const obj = asVector.toJSON() as Record<string, unknown>;
    return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, plain(x)]));
  }
  if (typeof asVector[Symbol.iterator] === "function") return Array.from(v as Iterable<unknown>, plain);
  return v;
}

/** What a column's values are, for building its Arrow vector; `mixed` names the kinds found. */
type Kind = "number" | "string" | "boolean" | "bigint" | "date" | "nested" | "null";

function kindOf(values: readonly unknown[]): { kind: Kind } | { mixed: string } {
  let kind: Kind = "null";
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k: Kind = v instanceof Date ? "date" : typeof v === "object" ? "nested" : (typeof v as Kind);
    if (kind === "null") kind = k;
    else if (kind !== k) return { mixed: `${kind} and ${k}` };
  }
  return { kind };
}

/** A column's vector; throws a TypeError saying what is wrong with its values. */
export function columnVector(name: string, values: Column): Vector {
  if (ArrayBuffer.isView(values)) return makeVector(values);
  const found = kindOf(values);
  if ("mixed" in found) throw new TypeError(`column "${name}" mixes ${found.mixed} values`);
  const nulls = (v: unknown): unknown => (v === undefined ? null : v);
  switch (found.kind) {
    case "number":
    case "null":
      return vectorFromArray(values.map(nulls) as (number | null)[], new Float64());
    case "string":
      return vectorFromArray(values.map(nulls) as (string | null)[], new Utf8());
    case "boolean":
      return vectorFromArray(values.map(nulls) as (boolean | null)[], new Bool());
    case "bigint":
      return vectorFromArray(values.map(nulls) as (bigint | null)[], new Int64());
    case "date":
      return vectorFromArray(values.map((d) => (d instanceof Date ? d.getTime() : null)), new TimestampMillisecond());
    case "nested":
      return nestedVector(name, values.map(nulls));
  }
}

const LEAF_TYPES: Partial<Record<Kind, () => DataType>> = {
  number: () => new Float64(),
  null: () => new Float64(),
  string: () => new Utf8(),
  boolean: () => new Bool(),
  bigint: () => new Int64(),
};

/** Arrays of scalars as an Arrow List of their type; objects as Arrow infers them (structs). */
function nestedVector(name: string, values: unknown[]): Vector {
  if (values.every((v) => v === null || Array.isArray(v))) {
    const found = kindOf((values as (unknown[] | null)[]).flatMap((v) => v ?? []));
    const leaf = "kind" in found ? LEAF_TYPES[found.kind] : undefined;
    if (leaf !== undefined) return vectorFromArray(values, new List(new Field("item", leaf(), true)));
  }
  try {
    return vectorFromArray(values);
  } catch (e) {
    throw new TypeError(`column "${name}" holds values Arrow cannot type (${(e as Error).message})`);
  }
}
