/**
 * Errors of `@lux/data` (declared here with the others, so they cross the wire from the
 * tasks that read and transform blocks and come back as their class): each names the thing
 * that was wrong (the path, the file and column, the file and line, the operator, the column).
 */
import { defineError } from "@lux/protocol";

/** A path given to a `read*` function matches no file. */
export const DataPathNotFoundError = defineError(
  "LUX_DATA_PATH_NOT_FOUND",
  "DataPathNotFoundError",
  (f: { readonly path: string; readonly reason: string }) =>
    `no file to read at "${f.path}": ${f.reason}. Give an existing file, a folder, or a glob (e.g. data/*.parquet).`,
);
export type DataPathNotFoundError = InstanceType<typeof DataPathNotFoundError>;

/** A file (or a dataset of a union) whose schema differs from the first one's. */
export const SchemaMismatchError = defineError(
  "LUX_DATA_SCHEMA_MISMATCH",
  "SchemaMismatchError",
  (f: {
    /** What differs, e.g. `file "b.csv"` or `dataset 2 of the union`. */
    readonly where: string;
    /** What set the schema it is compared with, e.g. `file "a.csv"`. */
    readonly reference: string;
    /** The column that differs. */
    readonly column: string;
    /** The column in the reference: its type, or "missing". */
    readonly expected: string;
    /** The column in `where`: its type, or "missing". */
    readonly found: string;
  }) =>
    `${f.where} does not have the schema of ${f.reference}: column "${f.column}" is ${f.found} there, ${f.expected} in ${f.reference}. ` +
    "Rows of one dataset share one schema: fix the data, or read the files as separate datasets and make them alike with selectColumns or map.",
);
export type SchemaMismatchError = InstanceType<typeof SchemaMismatchError>;

/** A CSV row whose number of fields is not the header's. */
export const InvalidRowError = defineError(
  "LUX_DATA_INVALID_ROW",
  "InvalidRowError",
  (f: { readonly file: string; readonly line: number; readonly expected: number; readonly found: number }) =>
    `${f.file}:${f.line} has ${f.found} field${f.found === 1 ? "" : "s"} where the header has ${f.expected}. ` +
    'Fix the row, or read with { invalidRows: "skip" } to leave such rows out.',
);
export type InvalidRowError = InstanceType<typeof InvalidRowError>;

/** A dataset function (map, mapBatches, …) returned what is not a row or a batch, or columns of unequal lengths. */
export const InvalidBatchError = defineError(
  "LUX_DATA_INVALID_BATCH",
  "InvalidBatchError",
  (f: { readonly operator: string; readonly problem: string }) =>
    `${f.operator} returned ${f.problem}. A batch is an object of equally long columns (arrays or typed arrays), an Arrow ` +
    "table or record batch, or an array of row objects; a row is a plain object.",
);
export type InvalidBatchError = InstanceType<typeof InvalidBatchError>;

/** A column named in groupBy, sort, selectColumns (…) that the dataset does not have. */
export const UnknownColumnError = defineError(
  "LUX_DATA_UNKNOWN_COLUMN",
  "UnknownColumnError",
  (f: { readonly column: string; readonly operation: string; readonly columns: readonly string[] }) =>
    `${f.operation}: the dataset has no column "${f.column}"; its columns are ${f.columns.map((c) => `"${c}"`).join(", ") || "(none)"}.`,
);
export type UnknownColumnError = InstanceType<typeof UnknownColumnError>;

/** A `DataIterator` of `streamingSplit` read in a way the split cannot serve. */
export const DataIteratorError = defineError(
  "LUX_DATA_ITERATOR",
  "DataIteratorError",
  (f: { readonly split: number; readonly reason: string }) => `split ${f.split} of streamingSplit: ${f.reason}`,
);
export type DataIteratorError = InstanceType<typeof DataIteratorError>;
