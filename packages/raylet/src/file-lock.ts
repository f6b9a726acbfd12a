/**
 * A lock between processes of one machine, held as a file: raylets (of one cluster or of
 * several sessions) that need the same npm env take it so that one installs and the others
 * wait, and eviction takes it so that no env is deleted while another process starts using it.
 *
 * The lock file is made whole by `link` (which fails if the name exists), so no process ever
 * reads a half-written one. It names its holder (pid, host) and when the hold expires: a
 * lock whose holder process is gone (same host) or whose hold expired is stale, and the next
 * process breaks it. Breaking renames the file aside before deleting it, and puts back a lock
 * that changed hands meanwhile. Correctness of what the lock guards must not rest on it
 * alone: installs are made in a temporary folder and renamed into place.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import type { Clock } from "@lux/protocol";

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  /** Clock time after which the lock is stale even if its holder still runs. */
  expiresAt: number;
}

export class FileLock {
  private released = false;

  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {}

  /** Takes the lock if it is free or stale; undefined if another holder has it. `holdMs`: how long it may be held. */
  static tryAcquire(file: string, clock: Clock, holdMs: number): FileLock | undefined {
    const me: LockHolder = { pid: process.pid, host: os.hostname(), token: randomUUID(), expiresAt: clock.now() + holdMs };
    const draft = `${file}.draft-${process.pid}-${me.token}`;
    fs.writeFileSync(draft, JSON.stringify(me));
    try {
      // Twice at most: a stale lock broken on the first pass is free on the second.
      for (let pass = 0; pass < 2; pass++) {
        try {
          fs.linkSync(draft, file);
          return new FileLock(file, me.token);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const holder = readLock(file);
        if (holder === "gone") continue;
        if (holder !== "unreadable" && !isStale(holder, clock)) return undefined;
        breakLock(file, holder === "unreadable" ? undefined : holder.token);
      }
      return undefined;
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }

  /**
   * Waits for the lock, looking every `pollMs`, until the clock reaches `deadline`; undefined
   * if it is still held then.
   */
  static async acquire(file: string, o: { clock: Clock; pollMs: number; holdMs: number; deadline: number }): Promise<FileLock | undefined> {
    for (;;) {
      const lock = FileLock.tryAcquire(file, o.clock, o.holdMs);
      if (lock !== undefined) return lock;
      const left = o.deadline - o.clock.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => o.clock.setTimeout(resolve, Math.min(o.pollMs, left)));
    }
  }

  /** Who holds the lock at `file` now (undefined: nobody, or unreadable). */
  static holder(file: string): LockHolder | undefined {
    const h = readLock(file);
    return typeof h === "string" ? undefined : h;
  }

  /** Lets the lock go, unless it was broken as stale and someone else holds it now. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const h = readLock(this.file);
    if (typeof h !== "string" && h.token === this.token) fs.rmSync(this.file, { force: true });
  }
}

/** Whether process `pid` of this machine runs (one of another user's counts). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(file: string): LockHolder | "gone" | "unreadable" {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "unreadable";
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === "number" && typeof h.host === "string" && typeof h.token === "string" && typeof h.expiresAt === "number") return h as LockHolder;
  } catch {
    // written by something else
  }
  return "unreadable";
}

function isStale(h: LockHolder, clock: Clock): boolean {
  return clock.now() > h.expiresAt || (h.host === os.hostname() && !processRuns(h.pid));
}

/** Removes the stale lock whose token is `staleToken` (undefined: an unreadable one). */
function breakLock(file: string, staleToken: string | undefined): void {
  const aside = `${file}.stale-${randomUUID()}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // broken or released by someone else meanwhile
  }
  const moved = readLock(aside);
  if (typeof moved !== "string" && moved.token !== staleToken) {
    // Between the read and the rename it was broken and taken again: give it back, unless
    // yet another process has taken the name since (then that one holds it).
    try {
      fs.linkSync(aside, file);
    } catch {
      // taken since
    }
  }
  fs.rmSync(aside, { force: true });
}
