/**
 * What must hold after a target was attacked: its process still runs, its memory came back
 * to within RSS_LIMIT_BYTES of where it started, and no process of the cluster logged an
 * unhandled rejection or an uncaught exception while it was attacked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { rpcPeerOptions } from "@lux/common";
import { connectRpc, type GcsService, type RayletService } from "@lux/protocol";
import type { FuzzEnv } from "./cluster.js";
import { rssOf } from "./processes.js";

export const RSS_LIMIT_BYTES = 64 * 1024 * 1024;
/**
 * How long the server's memory may take to come back: V8 gives freed pages back when its
 * memory reducer runs, some 20 to 60 s after the load stopped (a raylet fuzzed for 20 s:
 * +47 MiB for 35 s, then +20 MiB; after a full collection its heap and buffers hold ~8 MiB
 * more than before, the same after 40 s as after 120 s of fuzzing: garbage, not a leak).
 */
const RSS_SETTLE_MS = 60_000;

const UNHANDLED = /unhandled (promise )?rejection|uncaught exception/i;

/** The lowest RSS seen while waiting (up to RSS_SETTLE_MS) for it to come within the limit of `baseline`. */
export async function settledRss(pid: number, baseline: number): Promise<number | undefined> {
  const deadline = Date.now() + RSS_SETTLE_MS;
  let lowest: number | undefined;
  for (;;) {
    const rss = rssOf(pid);
    if (rss === undefined) return lowest;
    lowest = Math.min(lowest ?? rss, rss);
    if (lowest - baseline < RSS_LIMIT_BYTES || Date.now() > deadline) return lowest;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Log lines written since `sinceMs` that report an unhandled rejection or uncaught exception. */
export async function unhandledSince(env: FuzzEnv, sinceMs: number): Promise<string[]> {
  const lines = env.sessionDir !== undefined ? sessionLogLines(path.join(env.sessionDir, "logs")) : await clusterLogLines(env);
  return lines.filter((line) => UNHANDLED.test(line) && loggedSince(line, sinceMs));
}

/** Lines start with their ISO time; a line without one (a stack's) is kept only with its message, which has one. */
function loggedSince(line: string, sinceMs: number): boolean {
  const at = Date.parse(line.slice(line.search(/\d{4}-\d\d-\d\dT/), line.indexOf("Z") + 1));
  return Number.isNaN(at) || at >= sinceMs;
}

function sessionLogLines(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(...fs.readFileSync(full, "utf8").split("\n"));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** A cluster the fuzzer did not start: every node's log files, read through its raylet (the last lines of each). */
async function clusterLogLines(env: FuzzEnv): Promise<string[]> {
  const options = rpcPeerOptions(env.token);
  const gcs = await connectRpc<GcsService>(env.gcsAddress, options);
  const out: string[] = [];
  try {
    for (const node of (await gcs.call("getNodes", {})).filter((n) => n.alive)) {
      const raylet = await connectRpc<RayletService>(node.address, options);
      try {
        for (const file of (await raylet.call("listLogs", {})).files) {
          out.push(...(await raylet.call("readLog", { file: file.name, tail: 5000 })).lines);
        }
      } finally {
        raylet.close();
      }
    }
  } finally {
    gcs.close();
  }
  return out;
}
