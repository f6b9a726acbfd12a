/**
 * A driver's side of its workers' output: raylets send the lines of this job's workers
 * (CoreWorkerService `workerOutput`, batched: see the raylet's driver-output.ts), each line
 * with its prefix, `(f pid=… node=…)` or `(Counter pid=…)`; they are printed here, stdout
 * lines on stdout and stderr lines on stderr, through the dedup (log-dedup.ts) unless it
 * is off (LUX_DEDUP_LOGS=0). At shutdown, the raylets are asked for what they still hold
 * (`drainWorkerOutput`), so the last lines of a short program are not lost.
 */
import type { Clock, CoreWorkerService, OutputStream, RayletService, RpcCaller, ServerConnection, WorkerOutputBatch } from "@lux/protocol";
import { LogDedup } from "./log-dedup.js";

export interface WorkerOutputPrinterOptions {
  /** Undefined: every line is printed. */
  dedup: LogDedup | undefined;
  write(stream: OutputStream, text: string): void;
}

/** A connection a raylet opened to send this driver output (it serves drainWorkerOutput). */
type OutputConnection = ServerConnection<CoreWorkerService>;

export class WorkerOutputPrinter {
  /** The raylets that sent output (their connections), asked for the rest at shutdown. */
  private readonly senders = new Set<OutputConnection>();

  constructor(private readonly options: WorkerOutputPrinterOptions) {}

  print(batch: WorkerOutputBatch, from: OutputConnection): void {
    if (!this.senders.has(from)) {
      this.senders.add(from);
      from.onClose(() => this.senders.delete(from));
    }
    const { dedup } = this.options;
    let out = "";
    let err = "";
    if (batch.dropped !== undefined) {
      err += `(raylet node=${batch.nodeId.slice(0, 8)}) ${batch.dropped} lines of worker output were not sent here: this driver did not take them fast enough (they are in the workers' log files: lux logs)\n`;
    }
    for (const [pid, stream, prefix, lines] of batch.runs) {
      const source = `${batch.nodeId}:${pid}`;
      let text = "";
      for (const line of lines) if (dedup === undefined || dedup.accept(source, stream, prefix, line)) text += `${prefix} ${line}\n`;
      if (stream === 1) out += text;
      else err += text;
    }
    if (out !== "") this.options.write(1, out);
    if (err !== "") this.options.write(2, err);
  }

  /**
   * Asks this node's raylet and every raylet that sent output for the job's lines they still
   * hold; resolves once they are printed (or after `timeoutMs`). Then the dedup's pending
   * `[repeated …]` lines.
   */
  async drain(jobId: string, localRaylet: RpcCaller<RayletService>, timeoutMs: number): Promise<void> {
    const raylets = [localRaylet, ...[...this.senders].map((c) => c as unknown as RpcCaller<RayletService>)];
    await Promise.all(raylets.map((r) => r.call("drainWorkerOutput", { jobId }, timeoutMs).catch(() => undefined)));
    this.options.dedup?.flush();
  }
}

/** The printer of this process's job (a driver's, while connected); undefined in workers. */
let current: WorkerOutputPrinter | undefined;

/** Prints a batch a raylet sent (CoreWorkerService `workerOutput`); a process with no printer ignores it. */
export function printWorkerOutput(batch: WorkerOutputBatch, from: OutputConnection): void {
  current?.print(batch, from);
}

/**
 * A driver's printer, this process's from now on (until `stop`): lines on this process's
 * stdout and stderr, deduplicated unless config dedupLogs is off.
 */
export function startPrinting(options: { dedup: boolean; windowMs: number; clock: Clock }): { printer: WorkerOutputPrinter; stop(): void } {
  const write = (stream: OutputStream, text: string): void => {
    (stream === 1 ? process.stdout : process.stderr).write(text);
  };
  const dedup = options.dedup ? new LogDedup({ windowMs: options.windowMs, clock: options.clock, emit: write }) : undefined;
  const printer = new WorkerOutputPrinter({ dedup, write });
  current = printer;
  return {
    printer,
    stop: () => {
      if (current === printer) current = undefined;
    },
  };
}
