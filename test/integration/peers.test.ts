/**
 * bench/peers/run.ts: Lux beside Dask, piscina and Ray's published figures in one table.
 * A smoke test (--quick, one run each): it checks the harness and the table, never a speed.
 * Dask's column is checked when a Python that can import distributed is on the machine
 * (Debian's python3-distributed), and must say "not installed" otherwise.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

const WORKLOADS = ["tasks sync", "tasks async", "actor calls sync", "actor calls async", "put calls", "get calls", "put GB/s", "startup (s)"];
/** The workloads piscina runs: it has no actors and no object store. */
const PISCINA = new Set(["tasks sync", "tasks async", "startup (s)"]);

function daskInstalled(): boolean {
  const chosen = process.env["LUX_BENCH_PYTHON"];
  const candidates = chosen !== undefined && chosen !== "" ? [chosen] : ["python3", "/usr/bin/python3"];
  return candidates.some((python) => spawnSync(python, ["-c", "import distributed"], { stdio: "ignore", timeout: 60_000 }).status === 0);
}

const isFigure = (cell: string): boolean => /^[\d,]+(\.\d+)?$/.test(cell) && Number(cell.replaceAll(",", "")) > 0;

test("the peers table has every workload, with Lux's, Dask's and piscina's figures and Ray's", { timeout: 300_000 }, async () => {
  const r = await runScript(path.join(root, "bench/peers/run.ts"), {
    args: ["--quick", "--runs", "1", "--startup-runs", "1", "--markdown"],
    env: { LUX_ADDRESS: "", LUX_TOKEN: "" },
    timeoutMs: 280_000,
  });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const table = r.stdout.split("\n").filter((l) => l.startsWith("| "));
  assert.equal(table[0], "| workload | Lux | Dask | piscina | Ray (published) |");
  assert.match(table[1] ?? "", /^\| --- \|( ---: \|){4}$/);
  const rows = table.slice(2).map((l) => l.slice(2, -2).split(" | "));
  assert.deepEqual(
    rows.map((cells) => cells[0]),
    WORKLOADS,
  );
  const dask = daskInstalled();
  for (const [workload, lux, daskCell, piscina, ray] of rows as string[][]) {
    const name = workload as string;
    assert.ok(isFigure(lux as string), `Lux ${name}: ${lux}`);
    if (dask) assert.ok(isFigure(daskCell as string) || (name === "put GB/s" && daskCell === "—"), `Dask ${name}: ${daskCell}`);
    else assert.equal(daskCell, "not installed", `Dask ${name}`);
    if (PISCINA.has(name)) assert.ok(isFigure(piscina as string), `piscina ${name}: ${piscina}`);
    else assert.equal(piscina, "—", `piscina ${name}`);
    assert.ok(name === "startup (s)" ? ray === "—" : isFigure(ray as string), `Ray ${name}: ${ray}`);
  }
  assert.match(r.stdout, /^Lux: lux \S+, node v\d+/m);
  assert.match(r.stdout, /^piscina: piscina \S+, node v\d+/m);
  if (dask) assert.match(r.stdout, /^Dask: dask \S+, distributed \S+, python \d/m);
});
