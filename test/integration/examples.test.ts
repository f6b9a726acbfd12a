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

test("examples/serve-onnx: an ONNX MLP served with batching answers as the same network in plain JavaScript (1e-5)", { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/serve-onnx/main.ts"), { args: ["--requests", "48"], timeoutMs: 110_000 });
  assert.equal(code, 0, `exit ${code}; stdout: ${stdout}; stderr: ${stderr}`);
  assert.match(stdout, /^requests: 48$/m);
  const diff = Number(/^max \|onnx - js\|: (\S+)$/m.exec(stdout)?.[1]);
  assert.ok(diff <= 1e-5, `max difference ${diff}`);
  const largest = Number(/^largest batch: (\d+)$/m.exec(stdout)?.[1]);
  assert.ok(largest > 1, `concurrent requests were batched (largest batch ${largest})`);
});
