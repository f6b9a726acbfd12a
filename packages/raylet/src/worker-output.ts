/**
 * A node's worker output: the raylet reads each worker's stdout and stderr, splits them
 * into lines and takes out the worker's marker lines (which task or actor the lines that
 * follow were written for; core's output-attribution.ts). Each worker's lines go to its own
 * rotating file in the session's logs folder, `worker-<pid>.log` (markers kept, so a read
 * can select one task's lines), and to the sink: the driver of the worker's job
 * (driver-output.ts). Lines read before the raylet has a sink (a worker started with the
 * raylet, before it is up) wait for it.
 */
import * as path from "node:path";
import type { ChildProcess } from "node:child_process";
import type { OutputStream } from "@lux/protocol";
import { NO_OUTPUT_CONTEXT_MARKER, RotatingFile, isOutputMarker, parseOutputMarker, type OutputContext } from "@lux/common";

/** Where a worker's output lines go besides its file: the driver of its job. */
export interface OutputSink {
  /** A worker of the job started here: its output may follow. */
  workerStarted(jobId: string): void;
  lines(jobId: string, pid: number, stream: OutputStream, context: OutputContext | undefined, lines: string[]): void;
}

export interface WorkerOutputsOptions {
  /** The session's logs folder; undefined: no files. */
  logDir: string | undefined;
  /** config logRotationBytes and logRotationBackups. */
  rotation: { maxBytes: number; backups: number };
}

/** A line longer than this is cut (its rest follows as another line), so a worker without newlines cannot fill the raylet. */
const MAX_LINE_CHARS = 64 * 1024;
/** Lines kept for a sink not set yet; later ones are left to the files. */
const MAX_EARLY_BATCHES = 10_000;
/** Worker ids remembered with their pids (for `lux logs actor`), newest kept. */
const MAX_WORKERS_REMEMBERED = 10_000;

/** The file name of the worker with `pid`'s output. */
export function workerLogName(pid: number): string {
  return `worker-${pid}.log`;
}

export class WorkerOutputs {
  /** Files of workers this raylet started (the session folder may be shared by several nodes of one machine). */
  readonly fileNames = new Set<string>();
  private readonly pids = new Map<string, number>();
  private sink: OutputSink | undefined;
  private early: Parameters<OutputSink["lines"]>[] = [];
  private readonly earlyJobs = new Set<string>();

  constructor(private readonly options: WorkerOutputsOptions) {}

  /** Reads a worker process's output from now until its pipes end. */
  watch(child: ChildProcess, worker: { workerId: string; jobId: string }): void {
    // No pid: it could not be spawned (its error is the pool's to handle); nothing will come.
    if (child.pid === undefined) return;
    const pid = child.pid;
    if (this.sink !== undefined) this.sink.workerStarted(worker.jobId);
    else this.earlyJobs.add(worker.jobId);
    this.pids.set(worker.workerId, pid);
    if (this.pids.size > MAX_WORKERS_REMEMBERED) this.pids.delete(this.pids.keys().next().value as string);
    const log = new WorkerLog(this.filePath(pid), this.options.rotation, (stream, context, lines) => this.deliver([worker.jobId, pid, stream, context, lines]));
    let open = 2;
    for (const [pipe, stream] of [
      [child.stdout, 1],
      [child.stderr, 2],
    ] as const) {
      const reader = new LineReader();
      pipe?.setEncoding("utf8");
      pipe?.on("data", (text: string) => log.add(stream, reader.feed(text)));
      pipe?.on("end", () => {
        log.add(stream, reader.end());
        if (--open === 0) log.close();
      });
    }
  }

  /** The pid of a worker this raylet started, by worker id. */
  pidOf(workerId: string): number | undefined {
    return this.pids.get(workerId);
  }

  /** From now on lines go to `sink`; those read before go first. */
  setSink(sink: OutputSink): void {
    this.sink = sink;
    for (const jobId of this.earlyJobs) sink.workerStarted(jobId);
    this.earlyJobs.clear();
    for (const batch of this.early.splice(0)) sink.lines(...batch);
  }

  private deliver(batch: Parameters<OutputSink["lines"]>): void {
    if (this.sink !== undefined) this.sink.lines(...batch);
    else if (this.early.length < MAX_EARLY_BATCHES) this.early.push(batch);
  }

  private filePath(pid: number): string | undefined {
    if (this.options.logDir === undefined) return undefined;
    const name = workerLogName(pid);
    this.fileNames.add(name);
    return path.join(this.options.logDir, name);
  }
}

/** One line with the marker of the context it was written in. */
interface MarkedLine {
  marker: string;
  text: string;
}

/** Splits one stream into lines, taking its markers out: each line carries the marker in force. */
export class LineReader {
  private rest = "";
  private marker = NO_OUTPUT_CONTEXT_MARKER;

  feed(text: string): MarkedLine[] {
    const parts = (this.rest + text).split("\n");
    this.rest = parts.pop() ?? "";
    const out: MarkedLine[] = [];
    for (const line of parts) this.take(line, out);
    while (this.rest.length > MAX_LINE_CHARS) {
      out.push({ marker: this.marker, text: this.rest.slice(0, MAX_LINE_CHARS) });
      this.rest = this.rest.slice(MAX_LINE_CHARS);
    }
    return out;
  }

  /** The stream ended: its last line, if it had no newline. */
  end(): MarkedLine[] {
    const out: MarkedLine[] = [];
    if (this.rest !== "") this.take(this.rest, out);
    this.rest = "";
    return out;
  }

  private take(line: string, out: MarkedLine[]): void {
    if (isOutputMarker(line)) this.marker = line;
    else out.push({ marker: this.marker, text: line });
  }
}

type Deliver = (stream: OutputStream, context: OutputContext | undefined, lines: string[]) => void;

/**
 * A worker's file and its lines for the sink. The file gets a marker line whenever the
 * context changes from the line before (its two streams interleave), and again at the top
 * of each new file after a rotation.
 */
class WorkerLog {
  private readonly file: RotatingFile | undefined;
  private fileMarker = NO_OUTPUT_CONTEXT_MARKER;
  /** What a new file starts with after a rotation: the context of the lines being written. */
  private header = "";
  private readonly contexts = new Map<string, OutputContext | undefined>();

  constructor(
    filePath: string | undefined,
    rotation: WorkerOutputsOptions["rotation"],
    private readonly deliver: Deliver,
  ) {
    this.file = filePath === undefined ? undefined : new RotatingFile({ path: filePath, ...rotation, header: () => this.header });
  }

  close(): void {
    this.file?.close();
  }

  add(stream: OutputStream, lines: MarkedLine[]): void {
    if (lines.length === 0) return;
    this.write(lines);
    let start = 0;
    for (let i = 1; i <= lines.length; i++) {
      const marker = (lines[start] as MarkedLine).marker;
      if (i < lines.length && (lines[i] as MarkedLine).marker === marker) continue;
      this.deliver(stream, this.contextOf(marker), lines.slice(start, i).map((l) => l.text));
      start = i;
    }
  }

  /** One write per context: a rotation inside one starts the new file in that context. */
  private write(lines: MarkedLine[]): void {
    if (this.file === undefined) return;
    let text = "";
    for (const { marker, text: line } of lines) {
      if (marker !== this.fileMarker) {
        this.flush(text);
        text = `${marker}\n`;
        this.fileMarker = marker;
      }
      text += `${line}\n`;
    }
    this.flush(text);
  }

  private flush(text: string): void {
    if (text === "") return;
    this.header = this.fileMarker === NO_OUTPUT_CONTEXT_MARKER ? "" : `${this.fileMarker}\n`;
    this.file?.write(text);
  }

  private contextOf(marker: string): OutputContext | undefined {
    if (!this.contexts.has(marker)) {
      if (this.contexts.size > 1000) this.contexts.clear();
      this.contexts.set(marker, parseOutputMarker(marker));
    }
    return this.contexts.get(marker);
  }
}
