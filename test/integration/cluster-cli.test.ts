/**
 * Issue 4 point 1: the `lux` command starts a cluster in the background (`lux start --head`),
 * reports it (`lux status`), lets other processes use it (LUX_ADDRESS, "auto"), adds a node
 * (`lux start --address`) and stops every process it started (`lux stop`); and
 * `lux microbenchmark` refuses a filter that matches nothing.
 *
 * Every command runs with its own LUX_SESSION_DIR_ROOT, so `lux stop` sees only the daemons
 * of this test, never other clusters on the machine.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { descendants, fixtures, pidAlive, root, runScript, startScript, waitFor } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-cli-test-"));
const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };

function lux(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args, env, loader: false, timeoutMs: 60_000 });
}

/** Pids of the daemons in this test's `lux start` registry. */
function recordedPids(): number[] {
  const dir = path.join(sessionRoot, "cli");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { pid: number }).pid);
}

describe("lux CLI", () => {
  const seen = new Set<number>();
  after(async () => {
    // Whatever happened, nothing this test started stays.
    await lux("stop");
    for (const pid of seen) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  });

  test("start --head, status, a driver, start --address, stop", async () => {
    const started = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "1", "--object-store-memory", String(32 * 1024 ** 2));
    assert.equal(started.code, 0, started.stderr);
    const address = /Control service: (127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1];
    assert.ok(address !== undefined, started.stdout);
    assert.doesNotMatch(address, /:0$/);
    assert.match(started.stdout, /LUX_TOKEN=[0-9a-f]{16,}/);
    assert.ok(started.stdout.includes(`lux.init({ address: "${address}" })`));
    const logs = /Logs: (\S+)/.exec(started.stdout)?.[1];
    assert.ok(logs !== undefined && fs.readdirSync(logs).length >= 2, "one log file per process");
    const dashboard = /Dashboard and jobs API: (http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1];
    assert.ok(dashboard !== undefined, started.stdout);
    assert.equal((await fetch(`${dashboard}/healthz`)).status, 200);
    for (const pid of recordedPids()) seen.add(pid);
    assert.equal(seen.size, 3, "the control service, the raylet and the dashboard");

    const status = await lux("status");
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes(address));
    assert.ok(status.stdout.includes(`Dashboard: ${dashboard}`), status.stdout);
    assert.match(status.stdout, /1 alive/);
    assert.match(status.stdout, /shared-memory/);
    assert.match(status.stdout, /CPU: 0 \/ 1/);
    assert.match(status.stdout, /Pending demand: none/);

    // A second process uses the cluster: it finds the token by itself.
    const driver = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), { env: { ...env, LUX_ADDRESS: address } });
    assert.equal(driver.code, 0, driver.stderr);
    assert.deepEqual(JSON.parse(/result (.*)/.exec(driver.stdout)?.[1] ?? "null"), { value: 42, aliveNodes: 1, address });

    const badLabels = await lux("start", "--address", address, "--labels", '{"lux.io/node-id": "x"}');
    assert.notEqual(badLabels.code, 0);
    assert.match(badLabels.stderr, /invalid option --labels\.lux\.io\/node-id/);
    const added = await lux("start", "--address", address, "--num-cpus", "1", "--resources", '{"side": 1}', "--labels", '{"zone": "a"}', "--object-store-memory", String(32 * 1024 ** 2));
    assert.equal(added.code, 0, added.stderr);
    for (const pid of recordedPids()) seen.add(pid);
    assert.equal(seen.size, 4);
    const status2 = await lux("status", "--address", address);
    assert.equal(status2.code, 0, status2.stderr);
    assert.match(status2.stdout, /2 alive/);
    assert.match(status2.stdout, /side: 0 \/ 1/);
    assert.match(status2.stdout, /side 1.*  labels: zone=a\n/, "the node's labels, given with --labels");

    // Work no node can run shows up as pending demand while its driver waits.
    const waiting = startScript(path.join(fixtures, "cluster-cli-demand.ts"), { env: { ...env, LUX_ADDRESS: address } });
    try {
      await waiting.line(/submitted ready=0/);
      let shown = "";
      await waitFor(async () => {
        shown = (await lux("status", "--address", address)).stdout;
        return shown.includes('{"CPU":1,"nothing":1}: 40 tasks (no node can ever provide this)');
      }, "lux status to show the 40 pending tasks");
    } finally {
      waiting.kill();
      await waiting.exited();
    }

    // "auto" finds the cluster started on this machine.
    const auto = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), { env: { ...env, LUX_ADDRESS: "auto" } });
    assert.equal(auto.code, 0, auto.stderr);
    assert.deepEqual(JSON.parse(/result (.*)/.exec(auto.stdout)?.[1] ?? "null"), { value: 42, aliveNodes: 2, address });

    const all = [...seen].flatMap((pid) => [pid, ...descendants(pid)]);
    const stopped = await lux("stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /Stopped 4/);
    await waitFor(() => all.every((pid) => !pidAlive(pid)), "every process `lux start` started to exit");
    assert.deepEqual(recordedPids(), []);

    const after = await lux("status", "--address", address);
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /no cluster answers|no token/);
    const afterAuto = await lux("status");
    assert.notEqual(afterAuto.code, 0);
  });

  // The microbenchmark's own runs are smoke-tested by `npm run bench -- --quick`.
  test("microbenchmark rejects a filter that matches nothing", async () => {
    const r = await lux("microbenchmark", "--json", "--filter", "^no_such_workload$");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /matches no workload/);
  });

  test("start --system-config: an unknown entry is refused naming the nearest; a real one reaches the daemons", async () => {
    const refused = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--system-config", '{"idleWorkerKeepMS": 300}');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /unknown config entry "idleWorkerKeepMS": did you mean idleWorkerKeepMs\?/);
    const badJson = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--system-config", "{idleWorkerKeepMs: 300}");
    assert.notEqual(badJson.code, 0);
    assert.match(badJson.stderr, /takes a JSON object of config entries/);
    assert.deepEqual(recordedPids(), [], "nothing was started");

    const started = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "1", "--object-store-memory", String(32 * 1024 ** 2), "--system-config", '{"idleWorkerKeepMs": 300}');
    assert.equal(started.code, 0, started.stderr);
    for (const pid of recordedPids()) seen.add(pid);
    const address = /Control service: (127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1];
    assert.ok(address !== undefined, started.stdout);
    const driver = await runScript(path.join(fixtures, "cluster-cli-worker.ts"), { env: { ...env, LUX_ADDRESS: address } });
    assert.equal(driver.code, 0, driver.stderr);
    const worker = JSON.parse(/worker (.*)/.exec(driver.stdout)?.[1] ?? "null") as { pid: number; keep: string | null };
    assert.equal(worker.keep, "300", "the raylet's workers inherit its config");
    // The raylet stops its idle worker after 300 ms (by default it keeps it a minute).
    await waitFor(() => !pidAlive(worker.pid), "the idle worker to be stopped", 10_000);
    const stopped = await lux("stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(recordedPids(), []);
  });

  test("start: --memory sets the node's memory resource; the memory monitor's flags reach its raylet; bad values are refused", async () => {
    for (const [flag, value, message] of [
      ["--memory-usage-threshold", "1.5", /memoryUsageThreshold/],
      ["--memory-monitor-interval-ms", "-1", /memoryMonitorIntervalMs/],
      ["--memory", "1.5", /whole number of bytes/],
      ["--memory-capacity", "0", /positive number of bytes/],
    ] as const) {
      const refused = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", flag, value);
      assert.notEqual(refused.code, 0, `${flag} ${value}`);
      assert.match(refused.stderr, message);
    }
    assert.deepEqual(recordedPids(), [], "nothing was started");

    const MiB = 1024 ** 2;
    const memoryFlags = ["--memory", String(1024 * MiB), "--memory-capacity", String(600 * MiB), "--memory-usage-threshold", "0.8", "--memory-monitor-interval-ms", "100"];
    const started = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "1", "--object-store-memory", String(32 * MiB), ...memoryFlags);
    assert.equal(started.code, 0, started.stderr);
    for (const pid of recordedPids()) seen.add(pid);
    const status = await lux("status");
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /memory: 0 B \/ 1\.0 GiB/);
    const logs = /Logs: (\S+)/.exec(started.stdout)?.[1] ?? "";
    const log = (): string => fs.readFileSync(path.join(logs, "raylet.log"), "utf8");
    await waitFor(() => log().includes("memory monitor:"), "the raylet to start its memory monitor");
    assert.match(log(), new RegExp(`memory monitor: measures its processes against --memory-capacity ${600 * MiB} every 100 ms, threshold 0\\.8`));
    const stopped = await lux("stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(recordedPids(), []);
  });
});

describe("lux status without an address", () => {
  const privateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-cli-private-"));
  const privateEnv = { LUX_SESSION_DIR_ROOT: privateRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };
  after(() => fs.rmSync(privateRoot, { recursive: true, force: true }));

  test("finds the private cluster a driver's lux.init() started on this machine, and says when none runs", async () => {
    const driver = startScript(path.join(fixtures, "status-private-driver.ts"), { env: privateEnv });
    try {
      await waitFor(() => driver.stdout().includes("ready") || driver.child.exitCode !== null, "the driver's private cluster");
      assert.match(driver.stdout(), /ready/, driver.stderr());
      const status = await runScript(luxBin, { args: ["status"], env: privateEnv, loader: false, timeoutMs: 60_000 });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /Cluster at 127\.0\.0\.1:\d+/);
      assert.match(status.stdout, /Nodes: 1 alive/);
      assert.match(status.stdout, /CPU: \d+ \/ 1/);
    } finally {
      driver.kill();
      await driver.exited();
    }
    // The private cluster ends with its driver; its token file goes with its control service.
    await waitFor(() => !fs.existsSync(path.join(privateRoot, "tokens")) || fs.readdirSync(path.join(privateRoot, "tokens")).length === 0, "the private cluster to end");
    const none = await runScript(luxBin, { args: ["status"], env: privateEnv, loader: false, timeoutMs: 60_000 });
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no cluster runs on this machine: none started by `lux start`, and no driver's `lux.init\(\)` cluster answers/);
  });
});

