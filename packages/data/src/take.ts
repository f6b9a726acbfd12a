/** Rows of a table picked by index, keeping each column's Arrow type. */
import { Table, Type, makeVector, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { columnValues, type TypedArray } from "./columns.js";

export function takeRows(table: Table, indices: readonly number[] | Uint32Array): Table {
  if (indices.length === table.numRows && indices.every((v, i) => v === i)) return table;
  const vectors: Record<string, Vector> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name) as Vector;
    vectors[field.name] = takeVector(vector, indices);
  }
  return new Table(vectors);
}

function takeVector(vector: Vector, indices: readonly number[] | Uint32Array): Vector {
  const values = columnValues(vector);
  if (ArrayBuffer.isView(values)) {
    const out = new (values.constructor as new (n: number) => TypedArray)(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = values[indices[i] as number] as never;
    return makeVector(out);
  }
  const picked = Array.from(indices, (i) => values[i]);
  const type = vector.type as DataType;
  const plainType = type.typeId === Type.Dictionary ? (type as unknown as { dictionary: DataType }).dictionary : type;
  const asStored = type.typeId === Type.Timestamp || type.typeId === Type.Date ? picked.map((d) => (d instanceof Date ? d.getTime() : d)) : picked;
  return vectorFromArray(asStored, plainType);
}
