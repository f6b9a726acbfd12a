/**
 * Reads lines of a log file for `lux logs` and the state API's getLog: the last N lines
 * (read backwards, block by block: a large file is not read whole for a short tail), or
 * every line after a cursor, a bounded number of bytes per call. A worker's output file
 * keeps its marker lines (worker-output.ts): they are not shown, and a task's or actor's
 * read keeps only the lines written in its context. Reads are asynchronous, so a long one
 * never holds the raylet's event loop.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { LogChunk, LogCursor } from "@lux/protocol";
import { isOutputMarker, parseOutputMarker, rotatedName } from "@lux/common";
import type { LogTarget } from "./log-files.js";

/** Keeps the lines of one task or actor. */
export interface LogFilter {
  taskId?: string | undefined;
  actorId?: string | undefined;
}

export interface LogReadOptions {
  tail?: number | undefined;
  cursor?: LogCursor | undefined;
  maxBytes: number;
  filter: LogFilter;
}

const BLOCK_BYTES = 64 * 1024;
/** Rotated files looked for past NAME (more than any logRotationBackups in use). */
const MAX_ROTATED = 1000;
const NEWLINE = 10;

/** One file of a log and its rotated ones. */
interface ChainFile {
  path: string;
  ino: number;
  size: number;
}

/** Whether a line written in the context of `marker` ("": none) is kept; undefined: every line is. */
type Matcher = ((marker: string) => boolean) | undefined;

export async function readLog(dir: string, target: LogTarget, options: LogReadOptions): Promise<LogChunk> {
  const chain = await chainOf(dir, target.name);
  const last = chain[chain.length - 1];
  if (last === undefined) return { file: target.name, lines: [], cursor: { ino: 0, offset: 0, context: "" }, more: false };
  const matches = matcher(options.filter);
  if (options.cursor === undefined && options.tail !== undefined) {
    return { file: target.name, ...(await tail(chain, options.tail, matches)), more: false };
  }
  return { file: target.name, ...(await forward(chain, startOf(chain, options.cursor), options.maxBytes, matches)) };
}

/** NAME and the rotated files before it that exist, oldest first. */
async function chainOf(dir: string, name: string): Promise<ChainFile[]> {
  const files: ChainFile[] = [];
  for (let i = 0; i <= MAX_ROTATED; i++) {
    const file = path.join(dir, rotatedName(name, i));
    try {
      const st = await fs.stat(file);
      files.push({ path: file, ino: st.ino, size: st.size });
    } catch {
      if (i > 0) break;
    }
  }
  return files.reverse();
}

function matcher(filter: LogFilter): Matcher {
  const { taskId, actorId } = filter;
  if (taskId === undefined && actorId === undefined) return undefined;
  const known = new Map<string, boolean>();
  return (marker) => {
    let keep = known.get(marker);
    if (keep === undefined) {
      const context = marker === "" ? undefined : parseOutputMarker(marker);
      keep = context !== undefined && (taskId === undefined || context.taskId === taskId) && (actorId === undefined || context.actorId === actorId);
      known.set(marker, keep);
    }
    return keep;
  };
}

interface Position {
  index: number;
  offset: number;
  context: string;
}

/**
 * Where a read after `cursor` starts: in the file the cursor was in, found by inode (it may
 * have been rotated to NAME.1 since), or, if that file is gone, at the oldest file kept.
 */
function startOf(chain: ChainFile[], cursor: LogCursor | undefined): Position {
  if (cursor === undefined) return { index: 0, offset: 0, context: "" };
  const index = chain.findIndex((f) => f.ino === cursor.ino);
  if (index < 0) return { index: 0, offset: 0, context: "" };
  // Smaller than the cursor: started over in place (no rotated files kept).
  if (cursor.offset > (chain[index] as ChainFile).size) return { index, offset: 0, context: "" };
  return { index, offset: cursor.offset, context: cursor.context };
}

/** Whole lines from `start` on, about `maxBytes` of them; a line not ended yet waits for its newline. */
async function forward(chain: ChainFile[], start: Position, maxBytes: number, matches: Matcher): Promise<{ lines: string[]; cursor: LogCursor; more: boolean }> {
  let { index, offset, context } = start;
  let budget = maxBytes;
  const lines: string[] = [];
  const at = (more: boolean): { lines: string[]; cursor: LogCursor; more: boolean } => ({
    lines,
    cursor: { ino: (chain[index] as ChainFile).ino, offset, context },
    more,
  });
  for (;;) {
    const file = chain[index] as ChainFile;
    const left = file.size - offset;
    if (left > 0) {
      if (budget <= 0) return at(true);
      const wanted = Math.min(left, budget);
      const buf = await readAt(file.path, offset, wanted);
      let end = buf.lastIndexOf(NEWLINE) + 1;
      if (end === 0 && wanted < left) {
        // No whole line in what is left of the budget: the next read gets it. A single line
        // longer than a whole budget goes as it is.
        if (budget < maxBytes) return at(true);
        end = buf.length;
      }
      context = scan(buf.subarray(0, end), context, matches, lines);
      offset += end;
      budget -= end;
      if (wanted < left) return at(true);
    }
    if (index === chain.length - 1) return at(false);
    index++;
    offset = 0;
  }
}

/** Adds the lines of `buf` (whole lines) that `matches` keeps; returns the context in force after them. */
function scan(buf: Buffer, context: string, matches: Matcher, out: string[]): string {
  if (buf.length === 0) return context;
  const lines = buf.toString("utf8").split("\n");
  if (buf[buf.length - 1] === NEWLINE) lines.pop();
  let ctx = context;
  for (const line of lines) {
    if (isOutputMarker(line)) ctx = line;
    else if (matches === undefined || matches(ctx)) out.push(line);
  }
  return ctx;
}

/** The last `n` lines kept by `matches`, from the newest file back; the cursor is at the end of the newest. */
async function tail(chain: ChainFile[], n: number, matches: Matcher): Promise<{ lines: string[]; cursor: LogCursor }> {
  const newest = chain.length - 1;
  const newestFile = chain[newest] as ChainFile;
  const found: string[] = [];
  let cursor: LogCursor = { ino: newestFile.ino, offset: 0, context: "" };
  for (let i = newest; i >= 0 && found.length < n; i--) {
    const file = chain[i] as ChainFile;
    const { end, endContext } = await backward(file, n, matches, found);
    if (i === newest) cursor = { ino: file.ino, offset: end, context: endContext ?? "" };
  }
  return { lines: found.reverse(), cursor };
}

/**
 * Reads `file` backwards, adding (newest first) the lines `matches` keeps to `found` until
 * it holds `n`. A line belongs to the nearest marker above it: with a filter, lines wait in
 * `pending` until their marker is reached. Returns where the file's whole lines end and the
 * context in force there (its last marker, if one was reached).
 */
async function backward(file: ChainFile, n: number, matches: Matcher, found: string[]): Promise<{ end: number; endContext: string | undefined }> {
  const handle = await fs.open(file.path, "r");
  try {
    const end = await wholeLinesEnd(handle, file.size);
    let endContext: string | undefined;
    let pending: string[] = [];
    let pos = end;
    let carry = Buffer.alloc(0);
    while (pos > 0 && found.length < n) {
      const start = Math.max(0, pos - BLOCK_BYTES);
      const block = Buffer.alloc(pos - start);
      await handle.read(block, 0, block.length, start);
      const buf = Buffer.concat([block, carry]);
      // The first line of a block may have begun in the block before it.
      const cut = start > 0 ? buf.indexOf(NEWLINE) + 1 : 0;
      carry = buf.subarray(0, cut);
      pos = start;
      const lines = buf.subarray(cut).toString("utf8").split("\n");
      lines.pop();
      for (let j = lines.length - 1; j >= 0 && found.length < n; j--) {
        const line = lines[j] as string;
        if (isOutputMarker(line)) {
          endContext ??= line;
          if (matches?.(line) === true) for (const p of pending) if (found.length < n) found.push(p);
          pending = [];
        } else if (matches === undefined) found.push(line);
        else if (pending.length < n) pending.push(line);
      }
    }
    return { end, endContext };
  } finally {
    await handle.close();
  }
}

/** Where the last whole line of a file ends (a line still being written is not read). */
async function wholeLinesEnd(handle: fs.FileHandle, size: number): Promise<number> {
  let pos = size;
  while (pos > 0) {
    const start = Math.max(0, pos - BLOCK_BYTES);
    const block = Buffer.alloc(pos - start);
    await handle.read(block, 0, block.length, start);
    const at = block.lastIndexOf(NEWLINE);
    if (at >= 0) return start + at + 1;
    pos = start;
  }
  return 0;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
