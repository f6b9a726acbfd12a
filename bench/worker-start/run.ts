/**
 * How soon N tasks run at once after lux.init({ numCpus: N }) on a fresh private cluster,
 * with plain node and under tsx (whose loader every worker starts with too): the cost of
 * starting N workers. Median of --runs fresh processes per mode, alternating the modes.
 *
 *   npx tsx bench/worker-start/run.ts [--tasks 8] [--runs 5] [--json]
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { flag } from "../flags.js";

const flags = { tasks: flag("tasks", 8), runs: flag("runs", 5), json: process.argv.includes("--json") };
const driver = path.join(import.meta.dirname, "driver.mjs");
const MODES = { node: [] as string[], tsx: ["--import", "tsx"] };
type Mode = keyof typeof MODES;

function once(mode: Mode): { initMs: number; allRunningMs: number } {
  const r = spawnSync(process.execPath, [...MODES[mode], driver, String(flags.tasks)], { encoding: "utf8", env: { ...process.env, LUX_ADDRESS: "" } });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`${mode} run failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as { initMs: number; allRunningMs: number };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const results: Record<Mode, { initMs: number[]; allRunningMs: number[] }> = { node: { initMs: [], allRunningMs: [] }, tsx: { initMs: [], allRunningMs: [] } };
for (let i = 0; i < flags.runs; i++) {
  for (const mode of Object.keys(MODES) as Mode[]) {
    const r = once(mode);
    results[mode].initMs.push(r.initMs);
    results[mode].allRunningMs.push(r.allRunningMs);
  }
}
const summary = Object.fromEntries(
  (Object.keys(MODES) as Mode[]).map((m) => [m, { initMs: median(results[m].initMs), allRunningMs: median(results[m].allRunningMs), runs: results[m].allRunningMs }]),
);
const ratio = summary["tsx"]!.allRunningMs / summary["node"]!.allRunningMs;
if (flags.json) console.log(JSON.stringify({ ...summary, tsxOverNode: Number(ratio.toFixed(2)) }));
else {
  console.log(`${flags.tasks} tasks of numCpus ${flags.tasks} all running, after lux.init() is called (median of ${flags.runs} fresh processes)`);
  for (const m of Object.keys(MODES) as Mode[]) console.log(`  ${m.padEnd(4)} init ${summary[m]!.initMs} ms, all running ${summary[m]!.allRunningMs} ms  (${results[m].allRunningMs.join(", ")})`);
  console.log(`  tsx / node: ${ratio.toFixed(2)}`);
}
