#!/usr/bin/env node
// Runs the test suite with Node's test runner under tsx, one Node process per test file.
//
//   node scripts/run-tests.mjs                      # everything
//   node scripts/run-tests.mjs protocol codec       # files whose path contains "protocol" or "codec"
//   node scripts/run-tests.mjs packages/core/test/x.test.ts --test-name-pattern=retry
//
// Arguments starting with "--" go to node (e.g. --test-name-pattern=..., --test-only);
// other arguments select files (an existing file or directory, else a substring of
// the path relative to the repository root).
//
// Files: packages/*/test/**/*.test.ts, test/lint/**/*.test.ts and test/integration/**/*.test.ts. Unit files run
// LUX_TEST_CONCURRENCY at a time (default 4: they mostly wait on timers and sockets);
// cluster files (test/integration/, packages/testing/test/, *.cluster.test.ts) run
// LUX_TEST_CLUSTER_CONCURRENCY at a time (default 2), beside the unit files, the longest
// known first (durations of earlier runs are kept in node_modules/.cache/lux-tests/).
// A file's output is printed in one piece when it ends. Every process a file's tests
// start inherits LUX_TEST_FILE: when a file ends, those still running are listed,
// killed, and fail the run; a last sweep catches anything else this run started.
// Then the slowest files with their wall and CPU time (the CPU of every process the file
// started; on 2 cores the suite is bound by it), and last the line
// "N passed, N failed, N skipped". LUX_TEST_TIMINGS=all lists every file.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const TEST_TIMEOUT_MS = 120_000;
/** A file that runs longer than this is killed and fails (a test timeout covers one test only). */
const FILE_TIMEOUT_MS = 600_000;
const positive = (value, fallback) => (Number(value) > 0 ? Math.floor(Number(value)) : fallback);
const UNIT_CONCURRENCY = positive(process.env.LUX_TEST_CONCURRENCY, 4);
const CLUSTER_CONCURRENCY = positive(process.env.LUX_TEST_CLUSTER_CONCURRENCY, 2);
const LEAK_GRACE_MS = 3_000;
const RUN_ID = randomUUID();
const runStartedAt = Date.now();
const DURATIONS_FILE = path.join(root, "node_modules", ".cache", "lux-tests", "durations.json");

// ---------------------------------------------------------------------------
// Select files

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

function allTestFiles() {
  const files = [];
  const packagesDir = path.join(root, "packages");
  if (existsSync(packagesDir)) {
    for (const pkg of readdirSync(packagesDir).sort()) walk(path.join(packagesDir, pkg, "test"), files);
  }
  walk(path.join(root, "test", "lint"), files);
  walk(path.join(root, "test", "integration"), files);
  return files;
}

const rel = (file) => path.relative(root, file).split(path.sep).join("/");

const nodeArgs = [];
const filters = [];
for (const arg of process.argv.slice(2)) (arg.startsWith("--") ? nodeArgs : filters).push(arg);

let files = allTestFiles();
if (filters.length > 0) {
  const chosen = new Set();
  for (const filter of filters) {
    const asPath = path.resolve(filter);
    if (existsSync(asPath) && statSync(asPath).isFile()) chosen.add(asPath);
    else if (existsSync(asPath) && statSync(asPath).isDirectory()) {
      for (const f of walk(asPath, [])) chosen.add(f);
    } else {
      for (const f of files) if (rel(f).includes(filter)) chosen.add(f);
    }
  }
  files = [...chosen];
  if (files.length === 0) {
    console.error(`run-tests: no test file matches ${filters.map((f) => JSON.stringify(f)).join(", ")}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

const isClusterTest = (file) =>
  /^(test\/integration\/|packages\/testing\/test\/)/.test(rel(file)) ||
  /\.(cluster|integration)\.test\.ts$/.test(file);

function readDurations() {
  try {
    const data = JSON.parse(readFileSync(DURATIONS_FILE, "utf8"));
    return typeof data === "object" && data !== null ? data : {};
  } catch {
    return {};
  }
}
const knownDurations = readDurations();
// Longest first, so that the last files to start are short ones; unknown files first of all.
const longestFirst = (a, b) => (knownDurations[rel(b)] ?? Infinity) - (knownDurations[rel(a)] ?? Infinity) || rel(a).localeCompare(rel(b));

const pools = [
  { name: "unit", concurrency: UNIT_CONCURRENCY, queue: files.filter((f) => !isClusterTest(f)).sort(longestFirst) },
  { name: "cluster", concurrency: CLUSTER_CONCURRENCY, queue: files.filter(isClusterTest).sort(longestFirst) },
].filter((p) => p.queue.length > 0);

// ---------------------------------------------------------------------------
// Run one file

const childEnv = { ...process.env, LUX_TEST_RUN_ID: RUN_ID };
// Costs ~80 ms per process start here; npm has its own cafile.
delete childEnv.NODE_EXTRA_CA_CERTS;

const running = new Set();
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = true;
    for (const child of running) child.kill(signal);
  });
}

/** Seconds of CPU used by this process's children that have ended (Linux only; else undefined). */
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;
function endedChildrenCpuSeconds() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat(5), counted from "state" as field 3.
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** One file alone streams its output as it comes; several are printed one whole file at a time. */
const streaming = files.length === 1;

function runFile(file, tapFile) {
  const args = [
    "--import",
    "tsx",
    "--test",
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    ...nodeArgs,
    rel(file),
  ];
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...childEnv, LUX_TEST_FILE: rel(file) },
      stdio: streaming ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    }, FILE_TIMEOUT_MS);
    const done = (code) => {
      clearTimeout(timer);
      running.delete(child);
      // The file's process and everything it started (and waited for) has ended: their CPU
      // time was just added to ours. Files ending at the same moment may swap a little.
      const cpuNow = endedChildrenCpuSeconds();
      const cpu = cpuNow === undefined ? undefined : cpuNow - cpuSeen;
      if (cpuNow !== undefined) cpuSeen = cpuNow;
      if (timedOut) output += `\nrun-tests: ${rel(file)} ran longer than ${FILE_TIMEOUT_MS / 1000} s and was killed\n`;
      resolve({ code, output, ms: Date.now() - startedAt, cpu });
    };
    child.on("error", (err) => done((output += `run-tests: cannot start node: ${err.message}\n`, 1)));
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

let cpuSeen = endedChildrenCpuSeconds() ?? 0;

/** Counts from the TAP summary (the last "# pass N" etc. at column 0). */
function readCounts(tapFile) {
  const text = existsSync(tapFile) ? readFileSync(tapFile, "utf8") : "";
  const last = (key) => {
    const all = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, "gm"))];
    return all.length > 0 ? Number(all[all.length - 1][1]) : undefined;
  };
  const pass = last("pass");
  const fail = last("fail");
  if (pass === undefined || fail === undefined) return undefined;
  return {
    passed: pass,
    failed: fail + (last("cancelled") ?? 0),
    skipped: (last("skipped") ?? 0) + (last("todo") ?? 0),
  };
}

// ---------------------------------------------------------------------------
// Leaked processes

const LUX_PROCESS = /\/packages\/.*(dist\/main\.js|src\/main\.ts|worker-main)/;

/** The process's environment as a list of NAME=value, or undefined when it cannot be read. */
function processEnv(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  } catch {
    return undefined;
  }
}

function listProcesses() {
  const ps = spawnSync("ps", ["-eo", "pid=,ppid=,etimes=,args="], { encoding: "utf8" });
  if (ps.status !== 0) return [];
  const out = [];
  for (const line of ps.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    out.push({ pid, ppid: Number(m[2]), etimes: Number(m[3]), args: m[4] });
  }
  return out;
}

const isDaemon = (p) => LUX_PROCESS.test(p.args) || /(^|\/)redis-server\b/.test(p.args);

/** Processes that the tests of `file` started and that are still alive. */
function findFileLeaks(file) {
  const marker = `LUX_TEST_FILE=${rel(file)}`;
  const runMarker = `LUX_TEST_RUN_ID=${RUN_ID}`;
  return listProcesses().filter((p) => {
    if (!isDaemon(p)) return false;
    const env = processEnv(p.pid);
    return env !== undefined && env.includes(runMarker) && env.includes(marker);
  });
}

/** Every process this run's tests started that is still alive. */
function findRunLeaks() {
  const ranForS = (Date.now() - runStartedAt) / 1000 + 1;
  return listProcesses().filter((p) => {
    const env = processEnv(p.pid);
    const ours = env === undefined ? undefined : env.includes(`LUX_TEST_RUN_ID=${RUN_ID}`);
    // The start-time guess is only for processes whose environment cannot be read.
    // Trusting it otherwise would kill the clusters of other test runs on the same machine.
    if (LUX_PROCESS.test(p.args)) return ours ?? p.etimes <= ranForS;
    return /(^|\/)redis-server\b/.test(p.args) && ours === true;
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits a moment for processes that are shutting down, then kills the rest; returns what it found. */
async function reap(find) {
  let leaks = find();
  for (const deadline = Date.now() + LEAK_GRACE_MS; leaks.length > 0 && Date.now() < deadline; ) {
    await sleep(200);
    leaks = find();
  }
  if (leaks.length === 0) return leaks;
  for (const l of leaks) {
    try {
      process.kill(l.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await sleep(1_000);
  for (const l of leaks) {
    if (!alive(l.pid)) continue;
    try {
      process.kill(l.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return leaks;
}

const seconds = (ms, cpu) => `${(ms / 1000).toFixed(1).padStart(5)} s${cpu === undefined ? "" : `, CPU ${cpu.toFixed(1).padStart(5)} s`}`;

const describeLeaks = (leaks) => leaks.map((l) => `  pid ${l.pid} ppid ${l.ppid}  ${l.args}\n`).join("");

// ---------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(tmpdir(), "lux-tests-"));
const total = { passed: 0, failed: 0, skipped: 0 };
const results = [];
let leaked = 0;
let nextTap = 0;

async function runOne(file, pool) {
  const tapFile = path.join(tmp, `${nextTap++}.tap`);
  const { code, output, ms, cpu } = await runFile(file, tapFile);
  const counts = readCounts(tapFile);
  const leaks = await reap(() => findFileLeaks(file));
  let failed = code !== 0 || leaks.length > 0;
  let text = streaming ? "" : output;
  if (counts) {
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    if (counts.failed > 0) failed = true;
  } else {
    text += `run-tests: ${rel(file)} ended (exit ${code}) without a summary\n`;
    total.failed += 1;
    failed = true;
  }
  if (leaks.length > 0) {
    leaked += leaks.length;
    text += `run-tests: ${leaks.length} process(es) left running by ${rel(file)} (tests must close what they start):\n${describeLeaks(leaks)}`;
  }
  results.push({ file: rel(file), pool: pool.name, ms, cpu, failed });
  const header = `\n# ${rel(file)} (${pool.name}, ${seconds(ms, cpu)})${failed ? " FAILED" : ""}\n`;
  process.stdout.write(header + text);
}

async function runPool(pool) {
  const startedAt = Date.now();
  const worker = async () => {
    for (let file = pool.queue.shift(); file !== undefined && !interrupted; file = pool.queue.shift()) {
      await runOne(file, pool);
    }
  };
  await Promise.all(Array.from({ length: Math.min(pool.concurrency, pool.queue.length) }, worker));
  pool.ms = Date.now() - startedAt;
}

try {
  if (pools.length === 0) console.log("run-tests: no test files found");
  for (const pool of pools) {
    console.log(`# ${pool.name} tests: ${pool.queue.length} file(s), ${pool.concurrency} at a time`);
  }
  await Promise.all(pools.map(runPool));
  const stray = await reap(findRunLeaks);
  if (stray.length > 0) {
    leaked += stray.length;
    console.error(`\nrun-tests: ${stray.length} process(es) left running by this run's tests:\n${describeLeaks(stray)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// Keep the durations of files that passed, for the order of the next run.
try {
  const durations = { ...knownDurations };
  for (const r of results) if (!r.failed) durations[r.file] = r.ms;
  mkdirSync(path.dirname(DURATIONS_FILE), { recursive: true });
  writeFileSync(DURATIONS_FILE, `${JSON.stringify(durations, null, 1)}\n`);
} catch {
  // only an ordering hint
}

const byTime = [...results].sort((a, b) => b.ms - a.ms);
const shown = process.env.LUX_TEST_TIMINGS === "all" ? byTime : byTime.slice(0, 10);
if (results.length > 1) {
  const pad = Math.max(...shown.map((r) => r.file.length));
  console.log(`\n# ${shown.length === byTime.length ? "each file" : `the ${shown.length} slowest files (LUX_TEST_TIMINGS=all lists all)`}: wall time, CPU time of its processes`);
  for (const r of shown) console.log(`#   ${r.file.padEnd(pad)} ${seconds(r.ms, r.cpu)}`);
  for (const pool of pools) console.log(`# ${pool.name} files: ${((pool.ms ?? 0) / 1000).toFixed(1)} s wall`);
  const cpu = endedChildrenCpuSeconds();
  console.log(`# run: ${seconds(Date.now() - runStartedAt, cpu)}`);
}
const failedFiles = results.filter((r) => r.failed).map((r) => r.file);
if (failedFiles.length > 0) console.error(`\nrun-tests: failed: ${failedFiles.join(", ")}`);
if (leaked > 0) console.error(`run-tests: FAILED: ${leaked} leaked process(es), see above`);
const ok = failedFiles.length === 0 && total.failed === 0 && leaked === 0 && !interrupted;
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(ok ? 0 : 1);
