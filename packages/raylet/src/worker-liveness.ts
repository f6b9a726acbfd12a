import * as fs from "node:fs";
import type { Clock, CoreWorkerService, RpcCaller, TimerHandle } from "@lux/protocol";
import { UNTIL_PEER_LOST } from "@lux/protocol";
import { createLogger } from "@lux/common";

const log = createLogger("raylet");

/** What the probe needs of a worker of the pool. */
export interface ProbedWorker {
  readonly workerId: string;
  readonly process: { readonly pid?: number | undefined };
  /** Set while it makes no progress: the pool leases it to no one. */
  unresponsive: boolean;
}

export interface WorkerLivenessDeps {
  /** Registered workers' connections, by worker id. */
  connections: ReadonlyMap<string, Pick<RpcCaller<CoreWorkerService>, "call" | "state">>;
  /** The pool's worker of an id (gone: undefined). */
  worker: (workerId: string) => ProbedWorker | undefined;
  /** The CPU time a process has used so far (any unit), or undefined where it cannot be read. */
  cpuTime?: (pid: number) => number | undefined;
  /** A worker stopped making progress (`responsive: false`) or makes progress again. */
  report: (workerId: string, responsive: boolean) => void;
  clock: Clock;
  /** config workerLivenessProbeIntervalMs, workerLivenessTimeoutMs */
  intervalMs: number;
  timeoutMs: number;
}

interface Probe {
  lastProgressAt: number;
  cpu: number | undefined;
  /** A ping is in flight (one at a time: a stopped worker does not pile them up). */
  pinging: boolean;
  unresponsive: boolean;
}

/**
 * Watches that the node's workers make progress. Every interval each worker is pinged (its
 * event loop answers) and its CPU time read: a worker busy in a long synchronous task answers
 * no ping but uses CPU; an idle one answers. One that does neither for `timeoutMs` (stopped
 * with SIGSTOP, or stuck) is marked unresponsive: the pool leases it to no one and its actor's
 * callers are told (through the control service). Once it makes progress again it is
 * responsive again. Never kills anything: a stopped process may be resumed.
 */
export class WorkerLiveness {
  private readonly probes = new Map<string, Probe>();
  private timer: TimerHandle | undefined;
  private readonly cpuTime: (pid: number) => number | undefined;

  constructor(private readonly deps: WorkerLivenessDeps) {
    this.cpuTime = deps.cpuTime ?? procCpuTime;
  }

  start(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.tick();
      this.start();
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One round: every registered worker is pinged, its CPU time read, and judged. */
  tick(): void {
    const now = this.deps.clock.now();
    for (const id of this.probes.keys()) if (!this.deps.connections.has(id)) this.probes.delete(id);
    for (const [workerId, connection] of this.deps.connections) {
      const worker = this.deps.worker(workerId);
      if (worker === undefined || connection.state === "closed") continue;
      let probe = this.probes.get(workerId);
      if (probe === undefined) {
        probe = { lastProgressAt: now, cpu: undefined, pinging: false, unresponsive: false };
        this.probes.set(workerId, probe);
      }
      const pid = worker.process.pid;
      const cpu = pid === undefined ? undefined : this.cpuTime(pid);
      if (cpu !== undefined && probe.cpu !== undefined && cpu !== probe.cpu) this.progress(worker, probe);
      probe.cpu = cpu;
      if (!probe.pinging) this.ping(worker, probe, connection);
      if (!probe.unresponsive && now - probe.lastProgressAt >= this.deps.timeoutMs) {
        probe.unresponsive = true;
        worker.unresponsive = true;
        log.warn(`worker ${workerId} (pid ${pid}) made no progress for ${Math.round(now - probe.lastProgressAt)} ms (stopped?): no new leases, its actor is unavailable`);
        this.deps.report(workerId, false);
      }
    }
  }

  private ping(worker: ProbedWorker, probe: Probe, connection: Pick<RpcCaller<CoreWorkerService>, "call">): void {
    probe.pinging = true;
    // Bounded by the worker's liveness: it answers when it runs again, or its connection closes.
    connection.call("ping", {}, UNTIL_PEER_LOST).then(
      () => {
        probe.pinging = false;
        this.progress(worker, probe);
      },
      () => {
        probe.pinging = false;
      },
    );
  }

  private progress(worker: ProbedWorker, probe: Probe): void {
    probe.lastProgressAt = this.deps.clock.now();
    if (!probe.unresponsive) return;
    probe.unresponsive = false;
    worker.unresponsive = false;
    log.info(`worker ${worker.workerId} (pid ${worker.process.pid}) makes progress again`);
    this.deps.report(worker.workerId, true);
  }
}

/** utime + stime of a Linux process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
function procCpuTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
