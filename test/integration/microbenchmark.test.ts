/**
 * `lux microbenchmark`: the command runs Ray's workloads by name on a private cluster and
 * `--json` prints one JSON object of positive medians. Only a smoke test (--quick, two
 * workloads): it checks the harness, never a speed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { root, runScript } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-microbenchmark-test-"));
after(() => fs.rmSync(sessionRoot, { recursive: true, force: true }));

function lux(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args, env: { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" }, loader: false, timeoutMs: 60_000 });
}

test("lux microbenchmark --json --filter prints the chosen workloads' medians", async () => {
  const r = await lux("microbenchmark", "--json", "--quick", "--filter", "single_client_tasks_sync|single_client_put_calls");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${r.stdout}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.deepEqual(Object.keys(result).sort(), ["single_client_put_calls_Plasma_Store", "single_client_tasks_sync"]);
  for (const [name, value] of Object.entries(result)) {
    assert.equal(typeof value, "number", name);
    assert.ok((value as number) > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
});

test("lux microbenchmark rejects a filter that matches nothing", async () => {
  const r = await lux("microbenchmark", "--json", "--filter", "^no_such_workload$");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /matches no workload/);
});
