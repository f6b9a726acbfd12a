#!/usr/bin/env node
// Runs the test suite with Node's test runner under tsx.
//
//   node scripts/run-tests.mjs                      # everything
//   node scripts/run-tests.mjs protocol codec       # files whose path contains "protocol" or "codec"
//   node scripts/run-tests.mjs packages/core/test/x.test.ts --test-name-pattern=retry
//
// Arguments starting with "--" go to node (e.g. --test-name-pattern=..., --test-only);
// other arguments select files (an existing file or directory, else a substring of
// the path relative to the repository root).
//
// Files: packages/*/test/**/*.test.ts, test/lint/**/*.test.ts and test/integration/**/*.test.ts.
// Unit tests run LUX_TEST_CONCURRENCY (default 2) files at a time; cluster tests
// (test/integration/, packages/testing/test/, *.cluster.test.ts) run one file at a time.
// After each group, processes that tests started and left running (raylet, gcs,
// workers, redis) are listed, killed, and fail the run.
// The last line is "N passed, N failed, N skipped".
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const TEST_TIMEOUT_MS = 120_000;
const UNIT_CONCURRENCY = Number(process.env.LUX_TEST_CONCURRENCY ?? 2) || 2;
const LEAK_GRACE_MS = 3_000;
const RUN_ID = randomUUID();
const runStartedAt = Date.now();

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

const groups = [
  { name: "unit", concurrency: UNIT_CONCURRENCY, files: files.filter((f) => !isClusterTest(f)) },
  { name: "cluster", concurrency: 1, files: files.filter(isClusterTest) },
].filter((g) => g.files.length > 0);

// ---------------------------------------------------------------------------
// Run

const childEnv = { ...process.env, LUX_TEST_RUN_ID: RUN_ID };
// Costs ~80 ms per process start here; npm has its own cafile.
delete childEnv.NODE_EXTRA_CA_CERTS;

let current = null;
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}

function runGroup(group, tapFile) {
  const args = [
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${group.concurrency}`,
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    ...nodeArgs,
    ...group.files.map(rel),
  ];
  return new Promise((resolve) => {
    current = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: "inherit" });
    current.on("error", (err) => {
      console.error(`run-tests: cannot start node: ${err.message}`);
      resolve(1);
    });
    current.on("exit", (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

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

/** true/false when the process's environment can be read, undefined when it cannot. */
function processEnvHasRunId(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`LUX_TEST_RUN_ID=${RUN_ID}`);
  } catch {
    return undefined;
  }
}

/** Processes started by this run's tests that are still alive. */
function findLeaks() {
  const ps = spawnSync("ps", ["-eo", "pid=,ppid=,etimes=,args="], { encoding: "utf8" });
  if (ps.status !== 0) return [];
  const ranForS = (Date.now() - runStartedAt) / 1000 + 1;
  const leaks = [];
  for (const line of ps.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pidS, ppid, etimes, args] = m;
    const pid = Number(pidS);
    if (pid === process.pid) continue;
    const ours = processEnvHasRunId(pid);
    // Every process our tests start inherits LUX_TEST_RUN_ID; the start-time guess is only
    // for processes whose environment cannot be read. Trusting it otherwise would kill the
    // clusters of other test runs on the same machine.
    const luxDaemon = LUX_PROCESS.test(args) && (ours ?? Number(etimes) <= ranForS);
    const redis = /(^|\/)redis-server\b/.test(args) && ours === true;
    if (luxDaemon || redis) leaks.push({ pid, ppid: Number(ppid), args });
  }
  return leaks;
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

async function reapLeaks(groupName) {
  // Give processes that are shutting down a moment to finish.
  let leaks = findLeaks();
  for (const deadline = Date.now() + LEAK_GRACE_MS; leaks.length > 0 && Date.now() < deadline; ) {
    await sleep(200);
    leaks = findLeaks();
  }
  if (leaks.length === 0) return 0;
  console.error(`\nrun-tests: ${leaks.length} process(es) left running by the ${groupName} tests (tests must close what they start):`);
  for (const l of leaks) console.error(`  pid ${l.pid} ppid ${l.ppid}  ${l.args}`);
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
  return leaks.length;
}

// ---------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(tmpdir(), "lux-tests-"));
const total = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
let leaked = 0;

try {
  if (groups.length === 0) console.log("run-tests: no test files found");
  for (const group of groups) {
    if (interrupted) break;
    console.log(`\n# ${group.name} tests: ${group.files.length} file(s), ${group.concurrency} at a time\n`);
    const tapFile = path.join(tmp, `${group.name}.tap`);
    const code = await runGroup(group, tapFile);
    const counts = readCounts(tapFile);
    if (counts) {
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
    } else {
      console.error(`run-tests: the ${group.name} run ended (exit ${code}) without a summary`);
      total.failed += 1;
    }
    if (code !== 0 && exitCode === 0) exitCode = code;
    leaked += await reapLeaks(group.name);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (exitCode === 0 && (total.failed > 0 || leaked > 0 || interrupted)) exitCode = 1;
if (leaked > 0) console.error(`run-tests: FAILED: ${leaked} leaked process(es), see above`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
