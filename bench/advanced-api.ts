/**
 * Issue 15's figures in one run: `npx tsx bench/advanced-api.ts [--quick] [--json]` (after a
 * build). Runs, one after the other, each in a process of its own (each starts and stops its
 * own cluster): bench/generators.ts (generator items/s beside tasks async/s),
 * bench/collective.ts (allreduce of 64 MiB over 4 actors on 2 nodes beside memcpy and a
 * put/get allreduce), bench/util-pool.ts (Pool.map of 100k tiny items beside piscina) and
 * bench/runtime-env-npm.ts (start-up with runtimeEnv.npm, first install vs cached); then
 * prints their figures in one table (or one JSON object, by benchmark, with --json).
 * `--quick` passes each its smoke setting: a check of the harness, not a measurement.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");

const RUNS: { name: string; file: string; full: string[]; quick: string[] }[] = [
  { name: "generators", file: "generators.ts", full: [], quick: ["--items", "500", "--tasks", "200", "--runs", "1"] },
  { name: "collective", file: "collective.ts", full: [], quick: ["--quick"] },
  { name: "pool", file: "util-pool.ts", full: [], quick: ["--quick"] },
  { name: "runtime_env_npm", file: "runtime-env-npm.ts", full: [], quick: ["--quick"] },
];

function runOne(file: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(here, file), ...args, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`bench/${file} exited with ${String(r.status ?? r.signal)}`);
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as Record<string, unknown>;
}

const results: Record<string, Record<string, unknown>> = {};
for (const b of RUNS) results[b.name] = runOne(b.file, quick ? b.quick : b.full);

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(results));
} else {
  console.log("issue 15 figures, one run" + (quick ? " (smoke settings: not a measurement)" : ""));
  for (const [name, figures] of Object.entries(results)) {
    for (const [key, value] of Object.entries(figures)) {
      const shown = typeof value === "number" ? (Number.isInteger(value) ? value.toLocaleString("en-US") : value.toPrecision(4)) : JSON.stringify(value);
      console.log(`${`${name}.${key}`.padEnd(58)} ${shown}`);
    }
  }
}
