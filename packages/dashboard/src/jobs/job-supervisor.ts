/**
 * The actor that runs one job's entrypoint (`/bin/sh -c ENTRYPOINT`) on the node it was placed
 * on, holding the job's entrypoint resources. Detached and named, so it outlives the
 * dashboard's driver; the job manager watches it through its pending `wait()` call, so its
 * death (a killed worker, a lost node) is seen. Its output goes to the control service's KV
 * (LogSink); the entrypoint runs under a watchdog that ends it with the supervisor.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { LuxError, getRuntimeContext, remote } from "lux";
import { systemClock } from "@lux/common";
import { entrypointEnv } from "./entrypoint-env.js";
import { jobsKv } from "./jobs-kv.js";
import { LogSink } from "./log-sink.js";
import { WATCHDOG_SOURCE } from "./watchdog.js";

export interface SupervisorSpec {
  submissionId: string;
  entrypoint: string;
  /** The control service: the entrypoint's LUX_ADDRESS. */
  gcsAddress: string;
  /** Between SIGTERM and SIGKILL when stopped (config jobStopGraceMs). */
  stopGraceMs: number;
  logFlushMs: number;
  logMaxBytes: number;
}

export interface StartReport {
  /** The entrypoint's shell. */
  pid: number;
  nodeId: string;
}

export interface ExitReport {
  /** The entrypoint's exit code (128 + N when killed by signal N). */
  exitCode: number;
  signal: string | null;
  /** Whether it ended because it was stopped. */
  stopped: boolean;
  /** The end of its output, for the job's message. */
  lastOutput: string;
}

type WatchdogMessage = { started: number } | { error: string } | { exit: { code: number; signal: string | null; stopped: boolean } };

/** Output kept in memory for the message of a failed job. */
const LAST_OUTPUT_BYTES = 2048;

export class JobSupervisor {
  private watchdog: ChildProcess | undefined;
  private started: Promise<StartReport> | undefined;
  private readonly exited: Promise<ExitReport>;
  private resolveExit!: (report: ExitReport) => void;
  private rejectExit!: (e: unknown) => void;
  private lastOutput = Buffer.alloc(0);
  private running = false;

  constructor(private readonly spec: SupervisorSpec) {
    this.exited = new Promise((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
    // Settled by whoever asks; until then a rejection is not unhandled.
    this.exited.catch(() => undefined);
  }

  /** Starts the entrypoint (once; later calls get the same report). */
  start(): Promise<StartReport> {
    this.started ??= this.spawn();
    return this.started;
  }

  /** Resolves when the entrypoint has exited and all its output is in the KV. */
  wait(): Promise<ExitReport> {
    return this.exited;
  }

  /** Stops the entrypoint's process group (SIGTERM, SIGKILL after the grace period); false if it is not running. */
  stop(): boolean {
    if (!this.running || this.watchdog?.connected !== true) return false;
    this.watchdog.send("stop");
    return true;
  }

  private spawn(): Promise<StartReport> {
    const { spec } = this;
    const sink = new LogSink(spec.submissionId, jobsKv, { flushMs: spec.logFlushMs, maxBytes: spec.logMaxBytes }, systemClock);
    const watchdog = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, String(spec.stopGraceMs), "/bin/sh", spec.entrypoint], {
      env: entrypointEnv(process.env, spec.gcsAddress, spec.submissionId),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.watchdog = watchdog;
    for (const stream of [watchdog.stdout, watchdog.stderr]) {
      stream?.on("data", (bytes: Buffer) => {
        this.keepLast(bytes);
        if (!sink.write(bytes)) {
          watchdog.stdout?.pause();
          watchdog.stderr?.pause();
          sink.onDrain(() => {
            watchdog.stdout?.resume();
            watchdog.stderr?.resume();
          });
        }
      });
    }
    let exit: { code: number; signal: string | null; stopped: boolean } | undefined;
    return new Promise<StartReport>((resolve, reject) => {
      watchdog.on("message", (m: WatchdogMessage) => {
        if ("started" in m) {
          this.running = true;
          resolve({ pid: m.started, nodeId: getRuntimeContext().nodeId });
        } else if ("error" in m) {
          reject(new LuxError(`the entrypoint could not be started: ${m.error}`));
        } else {
          exit = m.exit;
        }
      });
      watchdog.once("error", (e) => reject(new LuxError(`the job's watchdog process could not be started: ${e.message}`)));
      // "close": the process has exited and its output pipes are drained.
      watchdog.once("close", (code) => {
        this.running = false;
        const report = exit ?? { code: code ?? 1, signal: null, stopped: false };
        sink.close().then(
          () => this.resolveExit({ exitCode: report.code, signal: report.signal, stopped: report.stopped, lastOutput: this.lastOutput.toString("utf8") }),
          (e: unknown) => this.rejectExit(e),
        );
        reject(new LuxError(`the entrypoint's watchdog exited (code ${code}) before starting it`));
      });
    });
  }

  private keepLast(bytes: Buffer): void {
    const joined = Buffer.concat([this.lastOutput, bytes]);
    this.lastOutput = joined.byteLength > LAST_OUTPUT_BYTES ? joined.subarray(joined.byteLength - LAST_OUTPUT_BYTES) : joined;
  }
}

/** Made remote while this module is evaluated: workers find it by importing the module. */
export const JobSupervisorActor = remote(JobSupervisor);
