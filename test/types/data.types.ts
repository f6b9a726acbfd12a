/**
 * Type tests for @lux/data (issue 18, point 3): checked by `tsc` (npm run typecheck), never
 * run. Transforms return Datasets whose row types are inferred from the user's functions.
 * Each `@ts-expect-error` line must be an error.
 */
import * as data from "@lux/data";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;
type RowOf<D> = D extends data.Dataset<infer R> ? R : never;

const ids = data.range(10);
assertEqual<RowOf<typeof ids>, { id: number }>(true);

// map adds what the function adds.
const labeled = ids.map((r) => ({ ...r, y: "a" }));
assertEqual<RowOf<typeof labeled>, { y: string; id: number }>(true);
// @ts-expect-error the row has no column "z"
ids.map((r) => r.z);

// filter keeps the row type; flatMap takes the element type.
const kept = labeled.filter((r) => r.y === "a");
assertEqual<RowOf<typeof kept>, RowOf<typeof labeled>>(true);
const pairs = ids.flatMap((r) => [{ id: r.id, k: true }]);
assertEqual<RowOf<typeof pairs>, { id: number; k: boolean }>(true);

// mapBatches: "columns" batches (numbers as typed arrays or arrays), rows, or Arrow; the output's row type from what it returns.
const scaled = ids.mapBatches((b) => ({ id: b.id, twice: Float64Array.from(b.id, (x) => x * 2), name: ["a"] }));
assertEqual<RowOf<typeof scaled>, { id: number; twice: number; name: string }>(true);
const fromRows = ids.mapBatches((rows) => rows.map((r) => ({ n: r.id })), { batchFormat: "rows" });
assertEqual<RowOf<typeof fromRows>, { n: number }>(true);
const asyncBatches = ids.mapBatches(async (b) => ({ s: Array.from(b.id, String) }));
assertEqual<RowOf<typeof asyncBatches>, { s: string }>(true);
// @ts-expect-error batchFormat is one of "columns", "arrow", "rows"
ids.mapBatches((b) => b, { batchFormat: "pandas" });
// @ts-expect-error batchSize is a number
ids.mapBatches((b) => b, { batchSize: "10" });

// A class UDF: the row type from its call(); concurrency is required; fnConstructorArgs typed from its constructor.
class Scale {
  constructor(readonly factor: number) {}
  call(b: data.ColumnsBatch<{ id: number }>): { id: number[]; scaled: number[] } {
    return { id: Array.from(b.id), scaled: Array.from(b.id, (x) => x * this.factor) };
  }
}
const pooled = ids.mapBatches(Scale, { concurrency: [1, 4], fnConstructorArgs: [2] });
assertEqual<RowOf<typeof pooled>, { id: number; scaled: number }>(true);
// @ts-expect-error a class UDF needs concurrency
ids.mapBatches(Scale, { fnConstructorArgs: [2] });
// @ts-expect-error the constructor takes a number
ids.mapBatches(Scale, { concurrency: 2, fnConstructorArgs: ["2"] });

// Columns: added, selected, dropped.
const withOdd = ids.addColumn("odd", (b) => Array.from(b.id, (x) => x % 2 === 1));
assertEqual<RowOf<typeof withOdd>, { id: number; odd: boolean }>(true);
const picked = labeled.selectColumns(["y"]);
assertEqual<RowOf<typeof picked>, { y: string }>(true);
const dropped = labeled.dropColumns(["y"]);
assertEqual<RowOf<typeof dropped>, { id: number }>(true);
// @ts-expect-error no column "nope"
labeled.selectColumns(["nope"]);
// @ts-expect-error sort by a column the rows have
ids.sort("nope");
// @ts-expect-error groupBy a column the rows have
ids.groupBy("nope");

// groupBy shorthands name their columns as pinned.
const sums = ids.map((r) => ({ k: r.id % 3, v: r.id })).groupBy("k").sum("v");
assertEqual<RowOf<typeof sums>, { k: number; "sum(v)": number }>(true);
const counts = ids.map((r) => ({ k: String(r.id) })).groupBy("k").count();
assertEqual<RowOf<typeof counts>, { k: string; "count()": number }>(true);
// @ts-expect-error sum reads a numeric column
ids.map((r) => ({ k: r.id, s: "x" })).groupBy("k").sum("s");

// union takes datasets of the same rows; fromItems keeps the item type.
const items = data.fromItems([{ a: 1, b: "x" }]);
assertEqual<RowOf<typeof items>, { a: number; b: string }>(true);
// @ts-expect-error a union of other rows
ids.union(items);

async function consume(): Promise<void> {
  const rows = await labeled.take(3);
  assertEqual<typeof rows, { y: string; id: number }[]>(true);
  for await (const b of ids.iterBatches()) {
    const col: data.ColumnOf<number> = b.id;
    void col;
  }
  for await (const b of ids.iterBatches({ batchFormat: "rows" })) assertEqual<typeof b, { id: number }[]>(true);
  for await (const r of labeled.iterRows()) assertEqual<typeof r, { y: string; id: number }>(true);
  const m = await labeled.materialize();
  const n: number = m.numBlocks();
  void n;
  const stats = m.stats();
  const first: { name: string; rows: number; blocks: number; tasks: number; wallTimeMs: number } | undefined = stats.operators[0];
  const peak: number = stats.peakStoreBytes;
  void first;
  void peak;
}
void consume;
