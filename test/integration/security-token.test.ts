/**
 * Issue 17 point 1: the cluster token. `lux start --head` and `lux.init()`'s private cluster
 * make a 256-bit token kept in a 0600 file; while a job runs a driver with a task and a
 * failing task, no process of the cluster (daemons, workers, the job's processes) has the
 * token in its argv, and afterwards no file of the session (logs, registries), no page of the
 * dashboard, no job info and no output of `lux status`, `lux job` or `lux list` holds it.
 * `--metrics-public` opens one node's `/metrics` read-only, and nothing else.
 *
 * Every command runs with its own LUX_SESSION_DIR_ROOT, so `lux stop` stops only this test's
 * daemons.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { connectControlService } from "@lux/launcher";
import { descendants, fixtures, pidAlive, root, runScript, startScript, waitFor } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-token-test-"));
const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };

function lux(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args, env, loader: false, timeoutMs: 90_000 });
}

function tokenFileOf(rootDir: string, address: string): string {
  return path.join(rootDir, "tokens", address.replace(/[^\w.-]/g, "_"));
}

/** The token as it must look: 64 hex digits (256 random bits), in a 0600 file of a 0700 folder. */
function checkTokenFile(file: string): string {
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${file} is readable by its owner only`);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  const token = fs.readFileSync(file, "utf8").trim();
  assert.match(token, /^[0-9a-f]{64}$/, "256 random bits");
  return token;
}

/** Pids of the daemons in this test's `lux start` registry. */
function recordedPids(): number[] {
  const dir = path.join(sessionRoot, "cli");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { pid: number }).pid);
}

/** The argv of each process (those that exited meanwhile are left out). */
function commandLines(pids: number[]): Map<number, string> {
  const lines = new Map<number, string>();
  for (const pid of pids) {
    try {
      lines.set(pid, fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
    } catch {
      // exited
    }
  }
  return lines;
}

/** Every regular file under `dir` but those under `skip`. */
function filesUnder(dir: string, skip: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === skip) continue;
    if (entry.isDirectory()) out.push(...filesUnder(full, skip));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function assertNoToken(token: string, where: string, text: string): void {
  assert.ok(!text.includes(token), `the token appears in ${where}`);
}

describe("the cluster token", () => {
  const seen = new Set<number>();
  after(async () => {
    // Whatever happened, nothing this test started stays.
    await lux("stop");
    for (const pid of seen) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  });

  test("lux start --head: a 256-bit token in a 0600 file, in no argv, log, error, page, job info or status", async () => {
    const started = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "2", "--metrics-public", "--object-store-memory", String(32 * 1024 ** 2));
    assert.equal(started.code, 0, started.stderr);
    for (const pid of recordedPids()) seen.add(pid);
    const address = /Control service: (127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1] as string;
    const dashboard = /Dashboard and jobs API: (http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1] as string;
    assert.ok(address !== undefined && dashboard !== undefined, started.stdout);
    const token = checkTokenFile(tokenFileOf(sessionRoot, address));
    // `lux start` prints it once, for the user to take to other machines: that is its only way out.
    assert.ok(started.stdout.includes(`LUX_TOKEN=${token}`));
    const joined = await lux("start", "--address", address, "--num-cpus", "1", "--object-store-memory", String(32 * 1024 ** 2));
    assert.equal(joined.code, 0, joined.stderr);
    for (const pid of recordedPids()) seen.add(pid);
    assert.equal(seen.size, 4, "control service, two raylets, dashboard");
    const bearer = { authorization: `Bearer ${token}` };

    // --metrics-public opened the head node's /metrics (read-only), not the other node's.
    const gcs = await connectControlService(address, token);
    const nodes = await gcs.nodes().finally(() => gcs.close());
    const [headMetrics, otherMetrics] = nodes.map((n) => `http://${n.metricsAddress as string}`);
    assert.equal((await fetch(`${headMetrics}/metrics`)).status, 200);
    assert.equal((await fetch(`${headMetrics}/metrics`, { method: "POST" })).status, 405);
    assert.equal((await fetch(`${headMetrics}/other`)).status, 401);
    assert.equal((await fetch(`${otherMetrics}/metrics`)).status, 401);
    assert.equal((await fetch(`${otherMetrics}/metrics`, { headers: bearer })).status, 200);

    // A job: a driver with a task and a failing task, holding its workers until told.
    const goFile = path.join(sessionRoot, "go");
    const submitted = await lux("job", "submit", "--no-wait", "--address", address, "--", `${process.execPath} ${path.join(fixtures, "security-job.mjs")} ${goFile}`);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = /(luxsubmit_[0-9a-f]+)/.exec(submitted.stdout + submitted.stderr)?.[1] as string;
    const jobLogs = async (): Promise<string> => ((await (await fetch(`${dashboard}/api/jobs/${id}/logs`, { headers: bearer })).json()) as { logs: string }).logs;
    await waitFor(async () => (await jobLogs()).includes("waiting"), "the job's driver to run its tasks", 90_000);
    const logs = await jobLogs();
    assert.match(logs, /squares \[1,4,9\]/);
    assert.match(logs, /caught TaskError: .*a deliberate failure/);

    // Every process of the cluster now: daemons, workers, the job's supervisor, watchdog, shell and driver.
    const pids = [...seen].flatMap((pid) => [pid, ...descendants(pid)]);
    const lines = commandLines(pids);
    for (const [pid, line] of lines) assertNoToken(token, `the argv of ${pid} (${line.slice(0, 200)})`, line);
    assert.ok([...lines.values()].filter((l) => l.includes("worker")).length >= 2, `workers among ${[...lines.values()].join("\n")}`);
    assert.ok([...lines.values()].some((l) => l.includes("security-job.mjs")), "the job's driver");

    // A driver with a wrong token is refused, and the refusal names no token.
    const wrong = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), { env: { ...env, LUX_ADDRESS: address, LUX_TOKEN: "f".repeat(64) } });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /token/);
    assertNoToken(token, "the refused driver's error", wrong.stderr + wrong.stdout);

    fs.writeFileSync(goFile, "");
    await waitFor(async () => ((await (await fetch(`${dashboard}/api/jobs/${id}`, { headers: bearer })).json()) as { status: string }).status === "SUCCEEDED", "the job to succeed", 60_000);

    // What the commands print.
    for (const args of [["status"], ["job", "status", id, "--format", "json"], ["job", "list", "--format", "json"], ["job", "logs", id], ["list", "tasks", "--detail", "--format", "json"], ["list", "actors", "--detail"], ["list", "jobs", "--detail"], ["list", "workers"]]) {
      const r = await lux(...args, ...(args[0] === "job" ? ["--address", address] : []));
      assert.equal(r.code, 0, `lux ${args.join(" ")}: ${r.stderr}`);
      assertNoToken(token, `lux ${args.join(" ")}`, r.stdout + r.stderr);
    }

    // What the dashboard serves: its pages, the state, the jobs, and every log file it shows.
    const index = await (await fetch(`${dashboard}/`, { headers: bearer })).text();
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.length >= 1, index);
    const routes = ["/", "/login", "/healthz", "/favicon.svg", ...assets, `/api/jobs`, `/api/jobs/${id}`, `/api/jobs/${id}/logs`, "/api/summary/tasks", "/api/timeline", "/api/logs"];
    for (const kind of ["tasks", "actors", "objects", "nodes", "jobs", "placement-groups", "workers"]) routes.push(`/api/state/${kind}?detail=true`);
    const listing = (await (await fetch(`${dashboard}/api/logs`, { headers: bearer })).json()) as { nodeId: string; files: { name: string }[] }[];
    for (const node of listing) for (const f of node.files) routes.push(`/api/logs?nodeId=${node.nodeId}&file=${encodeURIComponent(f.name)}&tail=100000`);
    for (const route of routes) {
      const res = await fetch(`${dashboard}${route}`, { headers: bearer });
      assert.equal(res.status, 200, route);
      assertNoToken(token, `the dashboard's ${route}`, await res.text());
    }

    // Every file the cluster wrote (logs, the registry, targets) but the token file itself.
    const files = filesUnder(sessionRoot, path.join(sessionRoot, "tokens"));
    const names = files.map((f) => path.basename(f));
    for (const expected of ["gcs.log", "dashboard.log", "raylet.log"]) assert.ok(names.includes(expected), `${expected} among ${names.join(", ")}`);
    assert.ok(names.some((n) => /^worker-\d+\.log$/.test(n)), "workers' output files");
    for (const file of files) assertNoToken(token, file, fs.readFileSync(file, "latin1"));
  });

  test("lux.init() without an address: a private cluster with a 256-bit token in a 0600 file, in no argv or log", async () => {
    const privateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-token-private-"));
    const goFile = path.join(privateRoot, "go");
    const driver = startScript(path.join(fixtures, "security-private.mjs"), { env: { LUX_SESSION_DIR_ROOT: privateRoot, LUX_ADDRESS: "", LUX_TOKEN: "" }, args: [goFile], loader: false });
    try {
      const address = (await driver.line(/private (\S+)/, 60_000))[1] as string;
      const file = tokenFileOf(privateRoot, address);
      const token = checkTokenFile(file);
      const lines = commandLines(descendants(driver.child.pid as number));
      assert.ok(lines.size >= 3, "its control service, raylet and worker");
      for (const [pid, line] of lines) assertNoToken(token, `the argv of ${pid} (${line.slice(0, 200)})`, line);
      for (const f of filesUnder(privateRoot, path.join(privateRoot, "tokens"))) assertNoToken(token, f, fs.readFileSync(f, "latin1"));
      fs.writeFileSync(goFile, "");
      assert.equal((await driver.exited()).code, 0, driver.stderr());
      assertNoToken(token, "the driver's output", driver.stdout() + driver.stderr());
      assert.equal(fs.existsSync(file), false, "the token file goes with the cluster");
    } finally {
      driver.kill();
      await driver.exited();
      fs.rmSync(privateRoot, { recursive: true, force: true });
    }
  });
});
