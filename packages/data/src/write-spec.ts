/** What a write step does, as plain data: the format, the folder, and a prefix unique to the write. */
export interface WriteSpec {
  readonly format: "parquet" | "csv" | "json";
  readonly dir: string;
  /** Unique per write call, so two writes to one folder do not overwrite each other's files. */
  readonly prefix: string;
}
