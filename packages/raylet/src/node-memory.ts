import type { Clock, OutOfMemoryInfo, ProcessMemory } from "@lux/protocol";
import { createLogger, type ConfigValues } from "@lux/common";
import type { Lease } from "./lease-manager.js";
import { MemoryMonitor, type OomMeasure } from "./memory-monitor.js";
import { privateMemory, readText, systemMemory, type MemorySample, type ReadText } from "./memory-usage.js";
import type { OomCandidate } from "./oom-victim.js";
import type { WorkerHandle, WorkerPool } from "./worker-pool.js";

const log = createLogger("raylet");
/** Kills remembered for owners that ask how a worker ended (oldest dropped first). */
const MAX_KILLS_KEPT = 1000;

export interface NodeMemoryDeps {
  nodeId: string;
  /** The raylet's address, for the reports. */
  address(): string;
  /**
   * `--memory-capacity`: count only the node's own processes (the raylet and its workers,
   * their private memory) against this many bytes. Undefined: the machine's memory.
   */
  capacity: number | undefined;
  pool: Pick<WorkerPool, "all" | "get" | "kill">;
  /** The leases granted on this node (their workers may be killed). */
  leases(): Iterable<Lease>;
  /**
   * Tells the control service before the kill that an actor's worker is being killed for
   * lack of memory, so its callers find it dead or restarting, with the reason, once its
   * process is gone. Resolves when told (or when it could not be).
   */
  reportActorKill(workerId: string, reason: string, info: OutOfMemoryInfo): Promise<void>;
  /** The node went above its threshold (true) or back below. */
  pressure(above: boolean): void;
  clock: Clock;
  config: Pick<ConfigValues, "memoryMonitorIntervalMs" | "memoryUsageThreshold" | "memoryMonitorKillGraceMs">;
  /** How /proc and cgroup files are read (tests give their own). */
  read?: ReadText;
}

/**
 * The raylet's side of its memory monitor: what it measures (the machine, or with a capacity
 * the node's own processes), which workers it may kill (the leased ones), and the kill
 * itself, remembered so that the task's owner (getWorkerExit) and the control service
 * (reportWorkerDeath) learn it was for lack of memory.
 */
export class NodeMemory {
  readonly monitor: MemoryMonitor;
  private readonly kills = new Map<string, OutOfMemoryInfo>();
  private readonly read: ReadText;

  constructor(private readonly deps: NodeMemoryDeps) {
    this.read = deps.read ?? readText;
    this.monitor = new MemoryMonitor({
      clock: deps.clock,
      intervalMs: deps.config.memoryMonitorIntervalMs,
      threshold: deps.config.memoryUsageThreshold,
      killGraceMs: deps.config.memoryMonitorKillGraceMs,
      sample: () => this.sample(),
      processes: () => this.processes(),
      candidates: () => this.candidates(),
      exited: (workerId) => deps.pool.get(workerId) === undefined,
      kill: (victim, measure) => {
        this.kill(victim, measure).catch((e: unknown) => log.error(`killing worker ${victim.workerId.slice(0, 8)} for lack of memory failed: ${(e as Error).message}`));
      },
      pressure: (above) => deps.pressure(above),
    });
  }

  /** Why the monitor killed this worker, if it did. */
  killOf(workerId: string): OutOfMemoryInfo | undefined {
    return this.kills.get(workerId);
  }

  private sample(): MemorySample | undefined {
    const capacity = this.deps.capacity;
    if (capacity === undefined) return systemMemory(this.read);
    return { usedBytes: this.processes().reduce((sum, p) => sum + p.rssBytes, 0), capacityBytes: capacity };
  }

  /** The raylet and every worker process of the node, with what each runs. */
  private processes(): ProcessMemory[] {
    const out: ProcessMemory[] = [];
    const own = privateMemory(process.pid, this.read);
    if (own !== undefined) out.push({ pid: process.pid, rssBytes: own, name: "raylet" });
    const running = new Map<string, string>();
    for (const lease of this.deps.leases()) running.set(lease.worker.workerId, lease.request.description);
    for (const w of this.deps.pool.all()) {
      const pid = w.process.pid;
      const rss = pid === undefined ? undefined : privateMemory(pid, this.read);
      if (pid !== undefined && rss !== undefined) out.push({ pid, rssBytes: rss, name: running.get(w.workerId) ?? `${w.state} worker` });
    }
    return out;
  }

  private candidates(): OomCandidate[] {
    const out: OomCandidate[] = [];
    for (const { worker, request, grantSeq } of this.deps.leases()) {
      const pid = worker.process.pid;
      if (pid === undefined || worker.state !== "leased") continue;
      const actor = request.actorId !== undefined;
      out.push({ workerId: worker.workerId, pid, description: request.description, actor, retriable: request.retriable === true, grantSeq });
    }
    return out;
  }

  private async kill(victim: OomCandidate, measure: OomMeasure): Promise<void> {
    const worker = this.deps.pool.get(victim.workerId);
    if (worker === undefined) return;
    const info: OutOfMemoryInfo = {
      nodeId: this.deps.nodeId,
      nodeAddress: this.deps.address(),
      usedBytes: measure.usedBytes,
      capacityBytes: measure.capacityBytes,
      threshold: measure.threshold,
      topUsers: measure.topUsers,
    };
    this.kills.set(victim.workerId, info);
    if (this.kills.size > MAX_KILLS_KEPT) this.kills.delete(this.kills.keys().next().value as string);
    const reason = killReason(info);
    if (victim.actor) await this.deps.reportActorKill(victim.workerId, reason, info);
    this.deps.pool.kill(worker as WorkerHandle, reason);
  }

  /** How a worker's death is reported to the control service: with the kill's reason if the monitor killed it. */
  deathReport(workerId: string, reason: string): { reason: string; outOfMemory?: OutOfMemoryInfo } {
    const info = this.kills.get(workerId);
    return info === undefined ? { reason } : { reason: `${reason}: ${killReason(info)}`, outOfMemory: info };
  }

  start(): void {
    if (this.deps.config.memoryMonitorIntervalMs > 0) {
      const what = this.deps.capacity === undefined ? "the machine's memory" : `its processes against --memory-capacity ${this.deps.capacity}`;
      log.info(`memory monitor: measures ${what} every ${this.deps.config.memoryMonitorIntervalMs} ms, threshold ${this.deps.config.memoryUsageThreshold}`);
    }
    this.monitor.start();
  }

  stop(): void {
    this.monitor.stop();
  }
}

function killReason(info: OutOfMemoryInfo): string {
  const mib = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `killed by the memory monitor: the node used ${mib(info.usedBytes)} of ${mib(info.capacityBytes)}, above its threshold of ${info.threshold}`;
}
