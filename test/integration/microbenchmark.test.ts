/**
 * `lux microbenchmark`: the command runs Ray's workloads by name on a private cluster and
 * `--json` prints one JSON object of positive medians; the table puts each figure beside
 * the machine's limit measured in the same run. Only smoke tests (--quick, a few
 * workloads): they check the harness, never a speed.
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

test("lux microbenchmark --json --filter prints the chosen workloads' medians, startup among them", async () => {
  const r = await lux("microbenchmark", "--json", "--quick", "--filter", "single_client_tasks_sync|single_client_put_calls|startup_seconds");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `one line of JSON, got: ${r.stdout}`);
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  // startup_seconds: lux.init() on a fresh private cluster until the first task's result, in seconds.
  assert.deepEqual(Object.keys(result).sort(), ["single_client_put_calls_Plasma_Store", "single_client_tasks_sync", "startup_seconds"]);
  for (const [name, value] of Object.entries(result)) {
    assert.equal(typeof value, "number", name);
    assert.ok((value as number) > 0 && Number.isFinite(value), `${name}: ${String(value)}`);
  }
});

test("lux microbenchmark's table prints the machine's limits and each figure as a share of its limit", async () => {
  const r = await lux("microbenchmark", "--quick", "--filter", "single_client_tasks_sync|single_client_put_gigabytes|machine_");
  assert.equal(r.code, 0, r.stderr);
  const row = (name: string): string => {
    const line = r.stdout.split("\n").find((l) => l.startsWith(`${name} `));
    assert.ok(line !== undefined, `no row for ${name} in:\n${r.stdout}`);
    return line;
  };
  const number = "([\\d,.]+)";
  const value = (text: string): number => Number(text.replaceAll(",", ""));
  const limit = (name: string, unit: string): string => {
    const m = new RegExp(`^\\S+\\s+${number}\\s+[\\d,.]+–[\\d,.]+\\s+${unit}$`).exec(row(name).trimEnd());
    assert.ok(m !== null, `${name}: a median, a spread and "${unit}" in: ${row(name)}`);
    return m[1] as string;
  };
  const syncRoundTrips = limit("machine_unix_socket_sync_round_trips", "round trips/s");
  limit("machine_unix_socket_pipelined_messages", "messages/s");
  const memcpy = limit("machine_memcpy_gigabytes", "GB/s");
  // Each figure sits beside the limit measured in this run (sync round trips bound tasks
  // sync, memcpy bounds a put), as a share of it, then Ray's published figure.
  const beside = (name: string, unit: string, limitText: string, limitUnit: string, ray: string): void => {
    const m = new RegExp(`^\\S+\\s+${number}\\s+\\S+\\s+${unit}\\s+${limitText.replaceAll(".", "\\.")} ${limitUnit}\\s+${number}%\\s+${ray}\\s`).exec(row(name));
    assert.ok(m !== null, `${name}: figure, limit ${limitText} ${limitUnit}, share and Ray's ${ray} in: ${row(name)}`);
    const share = (100 * value(m[1] as string)) / value(limitText);
    assert.ok(Math.abs(share - value(m[2] as string)) < 0.1 + share * 0.01, `${name}: ${m[2]}% is not ${m[1]} / ${limitText}`);
  };
  beside("single_client_tasks_sync", "/s", syncRoundTrips, "round trips/s", "981");
  beside("single_client_put_gigabytes", "GB/s", memcpy, "GB/s", "19\\.9");
});

test("lux microbenchmark rejects a filter that matches nothing", async () => {
  const r = await lux("microbenchmark", "--json", "--filter", "^no_such_workload$");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /matches no workload/);
});
