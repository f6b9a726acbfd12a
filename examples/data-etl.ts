/**
 * An ETL pipeline with @lux/data: read CSV files, clean and enrich the rows, aggregate per
 * group, write Parquet, and read it back. Run with `npx tsx examples/data-etl.ts`; CI runs it
 * (test/integration/examples.test.ts).
 *
 * Functions given to a dataset run in workers: they are top-level declarations of this module,
 * and the program's body is in `lux.main`, so workers can import the module to find them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lux from "lux";
import * as data from "@lux/data";

interface Sale {
  region: string;
  product: string;
  units: number;
  price: number;
}

/** Rows that make sense: a region and a positive number of units. */
export function valid(r: Sale): boolean {
  return r.region !== null && r.units > 0;
}

export function withRevenue(r: Sale): Sale & { revenue: number } {
  return { ...r, revenue: r.units * r.price };
}

/** A batch function: prices with tax, on whole columns at once. */
export function withTax(batch: data.ColumnsBatch<Sale & { revenue: number }>): data.ColumnsBatch<Sale & { revenue: number; taxed: number }> {
  const taxed = Float64Array.from(batch.revenue, (v) => Math.round(v * 1.2 * 100) / 100);
  return { ...batch, taxed };
}

function writeInput(dir: string): void {
  const regions = ["north", "south", "east", "west"];
  for (let f = 0; f < 4; f++) {
    const lines = ["region,product,units,price"];
    for (let i = 0; i < 250; i++) {
      const n = f * 250 + i;
      lines.push(`${regions[n % 4]},p${n % 7},${n % 5},${(1 + (n % 9)).toFixed(2)}`);
    }
    fs.writeFileSync(path.join(dir, `sales-${f}.csv`), lines.join("\n") + "\n");
  }
}

lux.main(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-etl-"));
  try {
    writeInput(dir);
    await lux.init({ numCpus: 2 });
    data.DataContext.getCurrent().enableProgressBars = false;

    const sales = data.readCsv<Sale>(path.join(dir, "*.csv")).filter(valid).map(withRevenue).mapBatches(withTax);
    console.log("plan:", sales.explain());
    console.log("rows:", await sales.count());

    const perRegion = sales.groupBy("region").aggregate(data.count(), data.sum("revenue"), data.mean("units"));
    await perRegion.writeParquet(path.join(dir, "out"));
    const back = await data.readParquet(path.join(dir, "out")).sort("region").takeAll();
    for (const r of back) console.log(r["region"], r["count()"], r["sum(revenue)"], Number(r["mean(units)"]).toFixed(2));
    console.log(sales.stats().toString().split("\n")[0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
