/**
 * How much memory a node uses, for its memory monitor: the machine's (its cgroup v2 limit
 * when one is set, else /proc/meminfo), or, with `--memory-capacity`, only the node's own
 * processes counted against that capacity. Files are read through `ReadText`, so tests
 * give their own contents.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A node's memory use now: `usedBytes` of `capacityBytes`. */
export interface MemorySample {
  usedBytes: number;
  capacityBytes: number;
}

/** A file's text, or undefined when it cannot be read. */
export type ReadText = (file: string) => string | undefined;

export const readText: ReadText = (file) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

/** The value of `key` in a "key value" or "key: value kB" listing (/proc/meminfo, memory.stat, /proc/PID/status). */
function field(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  const m = new RegExp(`^${key}:?\\s+(\\d+)`, "m").exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** The folder of this process's cgroup in the cgroup v2 hierarchy ("0::/path" in /proc/self/cgroup). */
function cgroupDir(read: ReadText): string | undefined {
  const line = read("/proc/self/cgroup")
    ?.split("\n")
    .find((l) => l.startsWith("0::"));
  return line === undefined ? undefined : path.posix.join("/sys/fs/cgroup", line.slice(3).trim());
}

/**
 * The cgroup's memory.current against its memory.max, when a limit is set. Page cache the
 * kernel drops on demand (inactive_file in memory.stat) is not counted as used: reading
 * files must not look like running out of memory.
 */
export function cgroupMemory(read: ReadText = readText): MemorySample | undefined {
  const dir = cgroupDir(read);
  if (dir === undefined) return undefined;
  const max = read(`${dir}/memory.max`)?.trim();
  const current = Number(read(`${dir}/memory.current`)?.trim());
  if (max === undefined || max === "max" || !(Number(max) > 0) || !Number.isFinite(current)) return undefined;
  const reclaimable = field(read(`${dir}/memory.stat`), "inactive_file") ?? 0;
  return { usedBytes: Math.max(0, current - reclaimable), capacityBytes: Number(max) };
}

/** MemTotal − MemAvailable of MemTotal, from /proc/meminfo (in kB there). */
export function meminfoMemory(read: ReadText = readText): MemorySample | undefined {
  const text = read("/proc/meminfo");
  const total = field(text, "MemTotal");
  const available = field(text, "MemAvailable");
  if (total === undefined || available === undefined || total <= 0) return undefined;
  return { usedBytes: (total - available) * 1024, capacityBytes: total * 1024 };
}

/** The machine's memory use as the kernel enforces it: the cgroup's if it has a limit, else the whole machine's. */
export function systemMemory(read: ReadText = readText): MemorySample {
  return cgroupMemory(read) ?? meminfoMemory(read) ?? { usedBytes: os.totalmem() - os.freemem(), capacityBytes: os.totalmem() };
}

/**
 * A process's private memory in bytes: RssAnon of /proc/PID/status (its heap, buffers and
 * stacks), not the pages it shares with others, such as the object store's, which the store's
 * own size accounts for. Undefined when the process is gone.
 */
export function privateMemory(pid: number, read: ReadText = readText): number | undefined {
  const kb = field(read(`/proc/${pid}/status`), "RssAnon");
  return kb === undefined ? undefined : kb * 1024;
}

/**
 * The `memory` resource a node advertises unless told: `--memory-capacity` when given (the
 * monitor then counts only the node's processes' private memory, and the store is not part
 * of that), else the machine's memory (its cgroup limit if lower) minus the object store.
 */
export function defaultMemoryResource(capacity: number | undefined, storeBytes: number, read: ReadText = readText): number {
  if (capacity !== undefined) return capacity;
  const limit = cgroupMemory(read)?.capacityBytes ?? Infinity;
  return Math.max(0, Math.min(os.totalmem(), limit) - storeBytes);
}
