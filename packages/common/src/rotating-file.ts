/**
 * A log file that rotates by size: once a write would take NAME past `maxBytes`, NAME is
 * renamed NAME.1 (NAME.1 becomes NAME.2, and so on; the oldest past `backups` is deleted)
 * and a new NAME is started. So one writer never takes more than about
 * maxBytes × (backups + 1) of disk. Every process's log file is one of these: the control
 * service's and a raylet's (through `useLogFile`), each worker's output (written by its
 * raylet), and any other daemon of the session.
 *
 * Writes are synchronous: nothing written is lost when the process dies right after, and a
 * line is never split between two files. A failing disk (full, removed) drops what cannot
 * be written instead of throwing into the process that logs.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const NEWLINE = 10;

export interface RotatingFileOptions {
  /** The file written (created with its folder). */
  path: string;
  /** Size past which the file rotates (config logRotationBytes); 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept, NAME.1 … NAME.N (config logRotationBackups); 0 starts the file over empty. */
  backups: number;
  /**
   * What a new file starts with after a rotation, before the write that caused it (e.g. the
   * context the lines that follow belong to, so each file reads on its own); undefined for nothing.
   */
  header?: () => string | undefined;
}

/** The rotated files of `path`, in the order they are named: `path.1` is the newest backup. */
export function rotatedName(path: string, index: number): string {
  return index === 0 ? path : `${path}.${index}`;
}

export class RotatingFile {
  private fd: number | undefined;
  private bytes: number;
  private closed = false;
  private lastError: Error | undefined;
  /** Files rotated so far (for tests and reports). */
  rotations = 0;

  constructor(private readonly options: RotatingFileOptions) {
    try {
      mkdirSync(dirname(options.path), { recursive: true });
    } catch {
      // the open below fails too, and is tried again at the next write
    }
    this.bytes = 0;
    this.open("a");
  }

  get path(): string {
    return this.options.path;
  }

  /** Why the file is not open now (e.g. no file descriptor was left: each write tries again); undefined when it is. */
  get openError(): Error | undefined {
    return this.fd === undefined ? this.lastError : undefined;
  }

  /** Bytes in the current file. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Appends `text` (whole lines). What does not fit goes to new files, cut between lines: a
   * file exceeds maxBytes only by holding a single line longer than it, alone.
   */
  write(text: string): void {
    if (this.closed || text === "") return;
    // Not open (the process was out of file descriptors): tried again now.
    if (this.fd === undefined && !this.open("a")) return;
    let data = Buffer.from(text, "utf8");
    const { maxBytes } = this.options;
    // Nothing but its header in the current file: a line too long for any file goes here whole.
    let fresh = this.bytes === 0;
    while (maxBytes > 0 && this.bytes + data.length > maxBytes) {
      const room = maxBytes - this.bytes;
      let cut = room > 0 ? data.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      if (cut === 0 && fresh) {
        const end = data.indexOf(NEWLINE);
        cut = end < 0 ? data.length : end + 1;
      }
      if (cut > 0) {
        this.append(data.subarray(0, cut));
        data = data.subarray(cut);
      }
      if (data.length === 0) return;
      this.rotate();
      if (this.fd === undefined) return; // no new file: the rest is lost
      fresh = true;
    }
    this.append(data);
  }

  close(): void {
    this.closed = true;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Opens the file (to append, or `w`: emptied); false when it cannot be (no descriptors left, …). */
  private open(flags: "a" | "w"): boolean {
    try {
      this.fd = openSync(this.options.path, flags);
      this.bytes = fstatSync(this.fd).size;
      return true;
    } catch (e) {
      this.fd = undefined;
      this.lastError = e as Error;
      return false;
    }
  }

  private append(data: Buffer): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, data);
      this.bytes += data.length;
    } catch {
      // A full or vanished disk: the line is lost, the process logging it goes on.
    }
  }

  private rotate(): void {
    const { path, backups } = this.options;
    this.closeFd();
    let emptied = false;
    try {
      if (backups > 0) {
        rmSync(rotatedName(path, backups), { force: true });
        for (let i = backups - 1; i >= 1; i--) renameIfThere(rotatedName(path, i), rotatedName(path, i + 1));
        renameIfThere(path, rotatedName(path, 1));
      } else {
        emptied = this.open("w");
      }
    } catch {
      // Renaming failed (the folder is gone or read-only): go on in whatever NAME is now.
    }
    if (!emptied && !this.open("a")) return;
    this.rotations++;
    const header = this.options.header?.();
    if (header !== undefined && header !== "") this.append(Buffer.from(header, "utf8"));
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
