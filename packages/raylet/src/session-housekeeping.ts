/**
 * What a raylet cleans up when it starts, left by sessions whose daemons could not clean up
 * after themselves (SIGKILL, the OOM killer, a crash, a power cut): spill folders of raylets
 * that no longer run, and session folders (their logs, worker sockets) that no running process
 * uses and that have not changed for `sessionRetention`. Orphaned arenas in /dev/shm are
 * removed before the store opens (`removeOrphanArenas` of @lux/object-store).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** A raylet's spill folder: `spill-<pid of the raylet>` (see main.ts). */
const SPILL_DIR = /^spill-(\d+)$/;
/** Session folders are `session_<time>_<pid>_<random>` (launcher's makeSessionDir). */
const SESSION_DIR = /^session_/;
/** A raylet's script on its command line. */
const RAYLET_MAIN = /[\\/]raylet[\\/](?:dist|src)[\\/]main\.[jt]s$/;
/** A folder changed this recently is kept whatever the retention: its session may be starting (its daemons not yet up). */
const STARTING_GRACE_MS = 60_000;

export interface HousekeepingOptions {
  /** Where session folders are made (config sessionDirRoot). */
  sessionRoot: string;
  /** Other folders holding spill folders (raylets started with --spill-dir). */
  spillRoots: readonly string[];
  /** Session folders unchanged for longer than this, and unused, are removed (config sessionRetention). */
  retentionMs: number;
  /** The time now (ms since the epoch). */
  now: number;
}

export interface HousekeepingResult {
  spillDirs: number;
  sessions: number;
}

/** Removes orphaned spill folders and expired session folders; returns how many of each went. */
export async function cleanUpSessions(options: HousekeepingOptions): Promise<HousekeepingResult> {
  const processes = await runningProcesses();
  const result: HousekeepingResult = { spillDirs: 0, sessions: 0 };
  const cutoff = options.now - Math.max(options.retentionMs, STARTING_GRACE_MS);
  for (const name of await list(options.sessionRoot)) {
    if (!SESSION_DIR.test(name)) continue;
    const dir = path.join(options.sessionRoot, name);
    // Judged before its spill folders go: removing them changes the folder.
    if (!processes.use(dir) && !(await changedSince(dir, cutoff))) {
      await fs.promises.rm(dir, { recursive: true, force: true });
      result.sessions++;
      continue;
    }
    result.spillDirs += await removeOrphanSpillDirs(dir, processes);
  }
  for (const root of options.spillRoots) result.spillDirs += await removeOrphanSpillDirs(root, processes);
  return result;
}

/** Removes the `spill-<pid>` folders in `dir` whose raylet no longer runs. */
async function removeOrphanSpillDirs(dir: string, processes: RunningProcesses): Promise<number> {
  let removed = 0;
  for (const name of await list(dir)) {
    const pid = SPILL_DIR.exec(name)?.[1];
    if (pid === undefined || processes.isRaylet(Number(pid))) continue;
    // A raylet started since the process table was read (its folder is new): not an orphan.
    if (isRunning(Number(pid))) continue;
    await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether anything in `dir` (itself included) changed after `cutoff`; stops at the first that did. */
async function changedSince(dir: string, cutoff: number): Promise<boolean> {
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(dir);
  } catch {
    return false;
  }
  if (st.mtimeMs > cutoff) return true;
  if (!st.isDirectory()) return false;
  for (const name of await list(dir)) {
    if (await changedSince(path.join(dir, name), cutoff)) return true;
  }
  return false;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch {
    return [];
  }
}

interface RunningProcesses {
  /** Whether `pid` runs a raylet. */
  isRaylet(pid: number): boolean;
  /** Whether a running process names `dir` or a path in it on its command line (a daemon's --session-dir, --log-file). */
  use(dir: string): boolean;
}

/**
 * The command lines of the processes running now: from /proc, else from `ps`. If neither can
 * be read, every pid counts as a raylet and every folder as used, so nothing is removed.
 */
async function runningProcesses(): Promise<RunningProcesses> {
  const table = (await readProcTable()) ?? readPsTable();
  if (table === undefined) return { isRaylet: () => true, use: () => true };
  const args = [...table.values()].flat();
  return {
    isRaylet: (pid) => pid === process.pid || (table.get(pid)?.some((a) => RAYLET_MAIN.test(a)) ?? false),
    use: (dir) => args.some((a) => a === dir || a.startsWith(`${dir}${path.sep}`) || a.includes(`=${dir}`)),
  };
}

async function readProcTable(): Promise<Map<number, string[]> | undefined> {
  let pids: string[];
  try {
    pids = (await fs.promises.readdir("/proc")).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  const table = new Map<number, string[]>();
  for (const pid of pids) {
    try {
      table.set(Number(pid), (await fs.promises.readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0"));
    } catch {
      // It exited meanwhile.
    }
  }
  return table;
}

function readPsTable(): Map<number, string[]> | undefined {
  const ps = spawnSync("ps", ["-axo", "pid=,args="], { encoding: "utf8" });
  if (ps.status !== 0) return undefined;
  const table = new Map<number, string[]>();
  for (const line of ps.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m !== null) table.set(Number(m[1]), (m[2] as string).split(/\s+/));
  }
  return table;
}
