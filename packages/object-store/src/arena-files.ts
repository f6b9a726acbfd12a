/**
 * Names of arena files, and removal of those whose raylet is gone. A raylet removes its
 * arena when it closes, but one killed (SIGKILL, OOM killer, crash) cannot, and an arena in
 * /dev/shm holds RAM until someone deletes it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const PREFIX = "lux-arena-";

/** The arena file of the raylet with this pid, in `dir`. */
export function arenaPath(dir: string, pid: number): string {
  return path.join(dir, `${PREFIX}${pid}-${Date.now().toString(36)}`);
}

/** Removes the arena files of the raylet with this pid (it has exited); returns how many. */
export function removeArenasOf(dir: string, pid: number): number {
  return removeWhere(dir, (owner) => owner === pid);
}

/**
 * Removes arena files whose raylet no longer runs: its pid is gone, or now belongs to a
 * process that is not a raylet. Returns how many it removed.
 */
export function removeOrphanArenas(dir: string): number {
  return removeWhere(dir, (owner) => !isRaylet(owner));
}

function removeWhere(dir: string, stale: (ownerPid: number) => boolean): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!Number.isInteger(owner) || owner <= 0 || !stale(owner)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    } catch {
      // Another process removed it first, or it is not ours to remove.
    }
  }
  return removed;
}

function isRaylet(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("raylet");
  } catch (e) {
    // No /proc (not Linux): fall back to whether the pid exists at all.
    if ((e as NodeJS.ErrnoException).code !== "ENOENT" || fs.existsSync("/proc/self")) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (k) {
      return (k as NodeJS.ErrnoException).code === "EPERM";
    }
  }
}
