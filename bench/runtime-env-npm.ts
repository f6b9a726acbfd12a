/**
 * runtimeEnv.npm (issue 15, points 9 and 11): how long a task with npm packages takes from
 * `.remote()` to its result on a private cluster of one CPU, when the node must install them
 * first (`npm install` of a packed tarball, no network) and when they are in the node's cache
 * (a new worker all the same: other envVars), beside a new worker without npm packages.
 * Each figure is the median of --runs runs, each run with a package of its own (a new
 * version of a one-file package: a first install every time). `npx tsx bench/runtime-env-npm.ts`
 * (after a build).
 *
 * Options: --runs N (default 5), --quick (one run: a smoke test of the harness, not a
 * measurement), --json (one line of JSON instead of the table).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lux from "lux";
import { flag } from "./flags.js";

const PACKAGE = "lux-bench-npm-env";
const QUICK = process.argv.includes("--quick");

const noop = lux.remote((): string => "ok");

/** The task: imports the env's package in the worker and answers its version. */
const versionOf = lux.remote(async (name: string): Promise<string> => ((await import(name)) as { version: string }).version);

interface Result {
  runs: number;
  first_install_ms: number;
  cached_ms: number;
  new_worker_ms: number;
  /** First install over cached start-up. */
  install_over_cached: number;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** `npm pack`s version 1.0.<i> of a one-file package into `dir`; the tarball's file: spec. */
function packVersion(dir: string, i: number): string {
  const src = path.join(dir, `src-${i}`);
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, "package.json"), JSON.stringify({ name: PACKAGE, version: `1.0.${i}`, main: "index.cjs", license: "MIT" }));
  fs.writeFileSync(path.join(src, "index.cjs"), `exports.version = "1.0.${i}";\n`);
  const r = spawnSync("npm", ["pack", "--pack-destination", dir], { cwd: src, encoding: "utf8" });
  if (r.status !== 0) throw new RangeError(`npm pack failed: ${r.stderr}`);
  return `file:${path.join(dir, `${PACKAGE}-1.0.${i}.tgz`)}`;
}

/** Milliseconds from submitting `f` to its result, which must be `expected`. */
async function timed(run: () => lux.ObjectRef<string>, expected: string): Promise<number> {
  const start = process.hrtime.bigint();
  const got = await lux.get(run(), { timeoutMs: 120_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (got !== expected) throw new RangeError(`the task saw version ${got}, not ${expected}`);
  return ms;
}

async function measure(runs: number, specs: string[]): Promise<Result> {
  const first: number[] = [];
  const cached: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < runs; i++) {
    const npm = [specs[i] as string];
    const v = `1.0.${i}`;
    first.push(await timed(() => versionOf.options({ runtimeEnv: { npm, envVars: { RUN: `${i}-first` } } }).remote(PACKAGE), v));
    cached.push(await timed(() => versionOf.options({ runtimeEnv: { npm, envVars: { RUN: `${i}-cached` } } }).remote(PACKAGE), v));
    // A new worker without packages: the worker's own share of the figures above.
    plain.push(await timed(() => noop.options({ runtimeEnv: { envVars: { RUN: `${i}-no-npm` } } }).remote(), "ok"));
  }
  const r = { runs, first_install_ms: median(first), cached_ms: median(cached), new_worker_ms: median(plain) };
  return { ...r, install_over_cached: r.first_install_ms / r.cached_ms };
}

const runs = QUICK ? 1 : flag("runs", 5);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-npm-env-"));
// npm stays off the network and out of the user's cache; the raylet inherits these.
process.env["npm_config_cache"] = path.join(work, "npm-cache");
process.env["npm_config_offline"] = "true";
process.env["npm_config_update_notifier"] = "false";
try {
  const specs = Array.from({ length: runs }, (_, i) => packVersion(work, i));
  await lux.init({ numCpus: 1, systemConfig: { runtimeEnvNpmCacheDir: path.join(work, "envs") } });
  try {
    await lux.get(noop.remote()); // the cluster and the first worker are up
    const r = await measure(runs, specs);
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
    } else {
      const line = (label: string, value: string): void => console.log(`${label.padEnd(44)} ${value.padStart(10)}`);
      console.log(`runtimeEnv.npm start-up, median of ${runs} run(s), one CPU; node ${process.version}, npm ${spawnSync("npm", ["--version"], { encoding: "utf8" }).stdout.trim()}`);
      line("task with a first install (ms)", r.first_install_ms.toFixed(0));
      line("task with the env cached, new worker (ms)", r.cached_ms.toFixed(0));
      line("task in a new worker, no npm packages (ms)", r.new_worker_ms.toFixed(0));
      line("first install / cached", `${r.install_over_cached.toFixed(1)}x`);
    }
  } finally {
    await lux.shutdown();
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
