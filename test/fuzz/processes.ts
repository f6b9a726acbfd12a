/**
 * The process behind a listening address of this machine, and its resident memory: the
 * fuzzer checks the server it attacked is still there and did not grow, whether it started
 * the cluster itself or was given one (LUX_ADDRESS).
 */
import * as fs from "node:fs";
import { hostPort } from "./wire.js";

/** The inode of the socket listening on `port` (state 0A = LISTEN), from /proc/net/tcp and tcp6. */
function listeningInode(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== "0A") continue;
      if (local.slice(local.lastIndexOf(":") + 1) === hexPort) return fields[9];
    }
  }
  return undefined;
}

/** The pid of the process of this machine listening on `address` (HOST:PORT), if this user can see it. */
export function listeningPid(address: string): number | undefined {
  const inode = listeningInode(hostPort(address).port);
  if (inode === undefined) return undefined;
  const wanted = `socket:[${inode}]`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${entry}/fd/${fd}`) === wanted) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** Resident memory of `pid` in bytes, or undefined once it has exited. */
export function rssOf(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
