/**
 * A node's logs, as its raylet serves them: its files (log-files.ts) read on request
 * (`listLogs`, `readLog`: log-reader.ts), and its workers' output sent to their drivers
 * (driver-output.ts), drained on a driver's request (`drainWorkerOutput`).
 */
import { ConnectionPool, RayletService, serve, type Clock, type CoreWorkerService, type Handlers, type JobInfo, type PeerOptions, type RpcConnection, type ServiceDef } from "@lux/protocol";
import type { ConfigValues } from "@lux/common";
import { DriverOutput } from "./driver-output.js";
import { LogFiles } from "./log-files.js";
import { readLog } from "./log-reader.js";
import type { WorkerOutputs } from "./worker-output.js";

/** Bytes of log a readLog answers with at most, unless the request says less. */
const READ_MAX_BYTES = 1024 * 1024;

export interface NodeLogsOptions {
  nodeId: string;
  /** The session's logs folder and the raylet's own log file in it. */
  logDir: string | undefined;
  ownLog: string | undefined;
  /** The node's workers' output (made before the raylet, see main.ts). */
  outputs: WorkerOutputs;
  job(jobId: string): Promise<JobInfo>;
  peerOptions: PeerOptions;
  clock: Clock;
  config: Pick<ConfigValues, "logToDriverBufferBytes" | "rpcBestEffortTimeoutMs" | "rpcReconnectMaxDelayMs">;
}

export class NodeLogs {
  readonly files: LogFiles;
  private readonly drivers: ConnectionPool<CoreWorkerService, RayletService>;
  private readonly output: DriverOutput;

  constructor(options: NodeLogsOptions) {
    this.files = new LogFiles(options.logDir, options.nodeId, options.ownLog, options.outputs);
    // A driver that is shutting down asks, over the connection its output comes on, for the rest of it.
    const handlers = serve(RayletService, { drainWorkerOutput: (req) => this.drain(req.jobId) });
    this.drivers = new ConnectionPool<CoreWorkerService, RayletService>({ ...options.peerOptions, handlers });
    this.output = new DriverOutput({
      nodeId: options.nodeId,
      job: options.job,
      drivers: this.drivers,
      bufferBytes: options.config.logToDriverBufferBytes,
      timeoutMs: options.config.rpcBestEffortTimeoutMs,
      retryMs: options.config.rpcReconnectMaxDelayMs,
      clock: options.clock,
    });
    options.outputs.setSink(this.output);
  }

  /** The RayletService methods of logs. */
  handlers(nodeId: string): Handlers<RayletService, RpcConnection<ServiceDef, RayletService>> {
    return {
      listLogs: () => ({ nodeId, files: this.files.list() }),
      readLog: async (req) => {
        const target = this.files.resolve(req);
        const dir = this.files.dir as string; // resolve found a file, so there is a folder
        return readLog(dir, target, {
          tail: req.tail,
          cursor: req.cursor,
          maxBytes: req.maxBytes ?? READ_MAX_BYTES,
          filter: { taskId: req.taskId, actorId: req.actorId },
        });
      },
      drainWorkerOutput: (req) => this.drain(req.jobId),
    };
  }

  jobEnded(jobId: string): void {
    this.output.jobEnded(jobId);
  }

  close(): void {
    this.drivers.close();
  }

  private async drain(jobId: string): Promise<{ ok: true }> {
    await this.output.drain(jobId);
    return { ok: true };
  }
}
