/**
 * Logs on the wire: a node's log files and reads of them (RayletService `listLogs`,
 * `readLog`), and the worker output a raylet sends to the driver of the job
 * (CoreWorkerService `workerOutput`). See docs/observability.md, "Logs".
 */
import { arr, int, lit, num, obj, opt, str, tuple, type Infer } from "./schema.js";

/** One file of a node's session logs. */
export interface LogFileInfo {
  /** Its name in the session's logs folder, e.g. `raylet.log`, `worker-1234.log`, `worker-1234.log.1`. */
  name: string;
  size: number;
  /** Last written, in epoch milliseconds. */
  modifiedAt: number;
}

/** A node's log files (`lux.state.listLogs`). */
export interface NodeLogFiles {
  nodeId: string;
  files: LogFileInfo[];
}

/**
 * Where a read stopped, to go on from there (`--follow`): the file (by inode, so a rotation
 * in between is followed into the renamed file), the offset of the first byte not read,
 * and the output context in force there (the last marker line before it).
 */
export const LogCursor = obj({ ino: num, offset: int(), context: str });
export type LogCursor = Infer<typeof LogCursor>;

/**
 * What to read: a file by name, or a worker's output by `pid` or `workerId`, each with the
 * rotated files before it (NAME.N … NAME.1, then NAME); `taskId` or `actorId` narrow a
 * worker's lines to that task's or actor's. Then: the last `tail` lines,
 * or everything after `cursor`, or everything from the start; at most about `maxBytes`
 * per reply (`more`: ask again with the cursor).
 */
export const LogReadRequest = obj({
  file: opt(str),
  pid: opt(int(1)),
  workerId: opt(str),
  taskId: opt(str),
  actorId: opt(str),
  tail: opt(int(1)),
  cursor: opt(LogCursor),
  maxBytes: opt(int(1)),
});
export type LogReadRequest = Infer<typeof LogReadRequest>;

export interface LogChunk {
  /** The file read (for a worker's output: its current file). */
  file: string;
  lines: string[];
  cursor: LogCursor;
  /** More is there now: ask again with `cursor` at once. */
  more: boolean;
}

/** Output streams: 1 stdout, 2 stderr (the numbers of their file descriptors). */
export type OutputStream = 1 | 2;

/** Consecutive lines of one worker, stream and context: [pid, stream, prefix, lines]. */
export const OutputRun = tuple([int(), lit(1, 2), str, arr(str)]);
export type OutputRun = Infer<typeof OutputRun>;

/**
 * Lines of the job's workers on node `nodeId`, in the order they were written per worker.
 * `dropped`: lines left out before these because the driver did not keep up.
 */
export const WorkerOutputBatch = obj({ nodeId: str, runs: arr(OutputRun), dropped: opt(int()) });
export type WorkerOutputBatch = Infer<typeof WorkerOutputBatch>;
