/**
 * What a read is, as plain data: the source (its name in the plan, and what is known of it
 * without reading) and the read tasks it is cut into, each run by a streaming generator
 * task that yields blocks.
 */
import type { SchemaFields } from "../schema.js";

export type ReadTaskSpec =
  | { readonly kind: "range"; readonly start: number; readonly end: number }
  | { readonly kind: "parquet"; readonly path: string; readonly rowStart: number; readonly rowEnd: number; readonly columns: readonly string[] | undefined }
  | { readonly kind: "csv"; readonly path: string; readonly delimiter: string; readonly header: boolean; readonly invalidRows: "error" | "skip" }
  | { readonly kind: "json"; readonly path: string };

export interface SourceSpec {
  /** The operator's name in explain() and stats(), e.g. "ReadParquet". */
  readonly name: string;
  readonly format: "range" | "parquet" | "csv" | "json";
  /** The read tasks, when known without reading (range, csv, json); parquet's come from its files' footers. */
  readonly tasks: readonly ReadTaskSpec[] | undefined;
  /** For parquet: its files and the columns to read. */
  readonly files: readonly string[];
  readonly columns: readonly string[] | undefined;
  readonly schema: SchemaFields | undefined;
  readonly numRows: number | undefined;
}
