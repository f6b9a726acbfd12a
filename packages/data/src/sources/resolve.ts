/** A source's read tasks, schema and row count: known at once, or (parquet) from the files' footers, read once per source. */
import type { SchemaFields } from "../schema.js";
import { planParquet } from "./parquet.js";
import type { ReadTaskSpec, SourceSpec } from "./source-spec.js";

export interface ResolvedSource {
  readonly tasks: readonly ReadTaskSpec[];
  readonly schema: SchemaFields | undefined;
  readonly numRows: number | undefined;
}

const resolved = new WeakMap<SourceSpec, Promise<ResolvedSource>>();

export function resolveReadTasks(source: SourceSpec): Promise<ResolvedSource> {
  let p = resolved.get(source);
  if (p === undefined) {
    p = resolve(source);
    resolved.set(source, p);
    p.catch(() => resolved.delete(source));
  }
  return p;
}

async function resolve(source: SourceSpec): Promise<ResolvedSource> {
  if (source.tasks !== undefined) return { tasks: source.tasks, schema: source.schema, numRows: source.numRows };
  return planParquet(source.files, source.columns);
}
