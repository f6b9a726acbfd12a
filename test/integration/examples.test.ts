/** The examples users copy run as they are (CI runs them here): examples/*.ts, each a process of its own. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

test("examples/data-etl.ts: reads CSV, cleans, aggregates per region, writes and reads Parquet", { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/data-etl.ts"), { timeoutMs: 110_000 });
  assert.equal(code, 0, `exit ${code}; stderr: ${stderr}`);
  assert.match(stdout, /^plan: ReadCSV->Filter\(valid\)->Map\(withRevenue\)->MapBatches\(withTax\)$/m);
  assert.match(stdout, /^rows: 800$/m);
  for (const region of ["east", "north", "south", "west"]) assert.match(stdout, new RegExp(`^${region} 200 \\d+(\\.\\d+)? 2\\.50$`, "m"));
});
