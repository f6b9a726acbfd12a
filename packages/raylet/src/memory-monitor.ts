import type { Clock, ProcessMemory, TimerHandle } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { MemorySample } from "./memory-usage.js";
import { pickVictim, type OomCandidate } from "./oom-victim.js";

const log = createLogger("raylet");
/** How many of the node's largest processes an out-of-memory report lists. */
const TOP_USERS = 5;

/** What the monitor measured when it decided to kill: the node's use and largest processes. */
export interface OomMeasure extends MemorySample {
  threshold: number;
  topUsers: ProcessMemory[];
}

export interface MemoryMonitorDeps {
  clock: Clock;
  /** config memoryMonitorIntervalMs: how often it measures (0: never; the monitor is off). */
  intervalMs: number;
  /** config memoryUsageThreshold: above this fraction of capacity, it kills and the node refuses leases. */
  threshold: number;
  /** config memoryMonitorKillGraceMs: after a kill, none other until the victim exited and this long passed. */
  killGraceMs: number;
  /** The node's memory use now; undefined when it cannot be read. */
  sample(): MemorySample | undefined;
  /** The node's processes and their private memory (for the report: the largest are listed). */
  processes(): ProcessMemory[];
  /** The workers that may be killed (leased ones). */
  candidates(): OomCandidate[];
  /** Whether a worker it killed has exited. */
  exited(workerId: string): boolean;
  /** Kills the worker (telling those who must know why first). */
  kill(victim: OomCandidate, measure: OomMeasure): void;
  /** The node went above its threshold (true) or back below it. */
  pressure(above: boolean): void;
}

/**
 * A node's memory monitor. Every interval it measures the node's memory; above the threshold
 * it reports pressure (the node then takes no new leases) and kills one worker (see
 * pickVictim). It kills no other until that one has exited and the grace period has passed,
 * and the node's use is measured again then: one spike costs one worker, not a burst. Below
 * the threshold again, the pressure ends.
 */
export class MemoryMonitor {
  private timer: TimerHandle | undefined;
  private above = false;
  /** The last kill while above the threshold: no other until it exited and the grace passed. */
  private lastKill: { workerId: string; at: number } | undefined;
  /** Warned that nothing could be killed (once per spell above the threshold). */
  private warnedNoVictim = false;

  constructor(private readonly deps: MemoryMonitorDeps) {}

  start(): void {
    if (this.deps.intervalMs <= 0) return;
    this.timer = this.deps.clock
      .setTimeout(() => {
        this.tick();
        this.start();
      }, this.deps.intervalMs)
      .unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Whether the node is above its threshold (as last measured). */
  get underPressure(): boolean {
    return this.above;
  }

  /** One measurement, and what follows from it. */
  tick(): void {
    const sample = this.deps.sample();
    if (sample === undefined || sample.capacityBytes <= 0) return;
    const above = sample.usedBytes / sample.capacityBytes > this.deps.threshold;
    if (above !== this.above) this.setPressure(above, sample);
    if (!above) {
      this.lastKill = undefined;
      this.warnedNoVictim = false;
      return;
    }
    const now = this.deps.clock.now();
    const last = this.lastKill;
    if (last !== undefined && (!this.deps.exited(last.workerId) || now - last.at < this.deps.killGraceMs)) return;
    const victim = pickVictim(this.deps.candidates());
    if (victim === undefined) {
      if (!this.warnedNoVictim) log.warn(`memory: ${describe(sample)}, above the threshold of ${this.deps.threshold}, but no leased worker to kill; new leases wait or go to other nodes`);
      this.warnedNoVictim = true;
      return;
    }
    this.lastKill = { workerId: victim.workerId, at: now };
    const topUsers = this.deps
      .processes()
      .sort((a, b) => b.rssBytes - a.rssBytes)
      .slice(0, TOP_USERS);
    log.warn(`memory: ${describe(sample)}, above the threshold of ${this.deps.threshold}: killing worker ${victim.workerId.slice(0, 8)} (pid ${victim.pid}, ${victim.description})`);
    this.deps.kill(victim, { ...sample, threshold: this.deps.threshold, topUsers });
  }

  private setPressure(above: boolean, sample: MemorySample): void {
    this.above = above;
    if (above) log.warn(`memory: ${describe(sample)}, above the threshold of ${this.deps.threshold}: this node takes no new leases until it is below`);
    else log.info(`memory: ${describe(sample)}, below the threshold again: this node takes leases again`);
    this.deps.pressure(above);
  }
}

function describe(s: MemorySample): string {
  const mib = (n: number): string => (n / 1024 ** 2).toFixed(1);
  return `${mib(s.usedBytes)} MiB used of ${mib(s.capacityBytes)} MiB (${((s.usedBytes / s.capacityBytes) * 100).toFixed(1)}%)`;
}
