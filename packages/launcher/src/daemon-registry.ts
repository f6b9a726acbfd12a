/**
 * Daemons started by `lux start` on this machine: one JSON file per process under
 * `<sessionDirRoot>/cli/`. `lux stop` reads it to stop them, and `lux.init({ address: "auto" })`
 * to find the cluster. A record counts only while its pid still runs the same program
 * (same script, same start time), so a reused pid is never taken for a daemon.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { config } from "@lux/common";
import type { DaemonKind } from "./node-launcher.js";

export interface DaemonRecord {
  kind: DaemonKind;
  pid: number;
  /** Where the daemon serves. */
  address: string;
  /** The cluster's control service. */
  gcsAddress: string;
  nodeId: string | undefined;
  /** The script the process runs. */
  main: string;
  sessionDir: string;
  logFile: string;
  /** Process start time as the kernel reports it (/proc/PID/stat field 22), when known. */
  procStart: string | undefined;
  startedAtMs: number;
}

function registryDir(): string {
  return path.join(config("sessionDirRoot"), "cli");
}

function recordFile(record: Pick<DaemonRecord, "kind" | "pid">): string {
  return path.join(registryDir(), `${record.kind}-${record.pid}.json`);
}

/** Adds a daemon just started to the registry. */
export function recordDaemon(record: Omit<DaemonRecord, "procStart" | "startedAtMs">): DaemonRecord {
  const full: DaemonRecord = { ...record, procStart: procStartTime(record.pid), startedAtMs: Date.now() };
  fs.mkdirSync(registryDir(), { recursive: true, mode: 0o700 });
  fs.writeFileSync(recordFile(full), `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
  return full;
}

export function forgetDaemon(record: Pick<DaemonRecord, "kind" | "pid">): void {
  fs.rmSync(recordFile(record), { force: true });
}

/** The recorded daemons that still run, newest first; records of exited ones are removed. */
export function liveDaemons(): DaemonRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(registryDir());
  } catch {
    return [];
  }
  const live: DaemonRecord[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const file = path.join(registryDir(), name);
    let record: DaemonRecord;
    try {
      record = JSON.parse(fs.readFileSync(file, "utf8")) as DaemonRecord;
    } catch {
      continue;
    }
    if (isRecordedDaemon(record)) live.push(record);
    else fs.rmSync(file, { force: true });
  }
  return live.sort((a, b) => b.startedAtMs - a.startedAtMs);
}

/** Whether `record.pid` still is the process that was recorded. */
export function isRecordedDaemon(record: DaemonRecord): boolean {
  const args = commandLine(record.pid);
  if (args === undefined || !args.includes(record.main)) return false;
  const start = procStartTime(record.pid);
  return record.procStart === undefined || start === undefined || start === record.procStart;
}

/** The control service of the newest cluster started by `lux start` on this machine. */
export function autoAddress(): string | undefined {
  return liveDaemons()[0]?.gcsAddress;
}

function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    if (fs.existsSync("/proc/self")) return undefined;
  }
  const ps = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" });
  return ps.status === 0 && ps.stdout.trim() !== "" ? ps.stdout.trim() : undefined;
}

/** The process's start time as the kernel reports it (/proc/PID/stat field 22): with the pid, it names one process. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
