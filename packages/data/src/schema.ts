/**
 * Schemas as they travel and as users see them: column names with Arrow type names.
 * `ds.schema()` gives a `Schema`; blocks' metadata carries the plain fields.
 */
import type { Schema as ArrowSchema } from "apache-arrow";
import { SchemaMismatchError, UnknownColumnError } from "lux";

/** Column name → Arrow type, e.g. `{ name: "id", type: "Float64" }`, in column order. */
export type SchemaFields = readonly { readonly name: string; readonly type: string }[];

export function schemaOf(schema: ArrowSchema): SchemaFields {
  return schema.fields.map((f) => ({ name: f.name, type: typeName(String(f.type)) }));
}

/** Dictionary-encoded strings are strings to the user: `Dictionary<Int32, Utf8>` → `Utf8`. */
function typeName(type: string): string {
  const dict = /^Dictionary<\w+, (.+)>$/.exec(type);
  return dict?.[1] ?? type;
}

/** A dataset's schema: its columns' names and Arrow types. */
export class Schema {
  readonly names: readonly string[];
  readonly types: readonly string[];

  constructor(readonly fields: SchemaFields) {
    this.names = fields.map((f) => f.name);
    this.types = fields.map((f) => f.type);
  }

  toString(): string {
    return this.fields.map((f) => `${f.name}: ${f.type}`).join("\n");
  }
}

/**
 * Throws SchemaMismatchError naming the first column that differs. A column typed `Null`
 * (all values null in that block) matches any type.
 */
export function checkSameSchema(found: SchemaFields, expected: SchemaFields, where: string, reference: string): void {
  const byName = new Map(found.map((f) => [f.name, f.type]));
  for (const e of expected) {
    const type = byName.get(e.name);
    if (type === undefined || (type !== e.type && type !== "Null" && e.type !== "Null")) {
      throw new SchemaMismatchError({ where, reference, column: e.name, expected: e.type, found: type ?? "missing" });
    }
  }
  const names = new Set(expected.map((e) => e.name));
  for (const f of found) {
    if (!names.has(f.name)) throw new SchemaMismatchError({ where, reference, column: f.name, expected: "missing", found: f.type });
  }
}

/** Throws UnknownColumnError for the first of `columns` the schema lacks. */
export function checkColumns(schema: SchemaFields, columns: readonly string[], operation: string): void {
  const names = schema.map((f) => f.name);
  for (const c of columns) if (!names.includes(c)) throw new UnknownColumnError({ column: c, operation, columns: names });
}
