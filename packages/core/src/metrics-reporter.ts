/**
 * Sends this process's metrics to its node's raylet (issue 16, point 6): what lux.util.metrics
 * recorded (its sources), and the process's own tasks and actors by state. One notification
 * every metricsReportIntervalMs when something changed, and a last one when the core worker
 * closes. Nothing here runs per task: states are counted when a report is built.
 */
import type { Clock, CoreWorkerService, MetricData, RayletService, RpcConnection, TimerHandle } from "@lux/protocol";
import type { RunningTasks } from "./running-tasks.js";
import type { TaskExecutor } from "./task-executor.js";
import type { TaskResults } from "./task-results.js";

/** What lux.util.metrics hands core at each report: the metrics recorded since its previous call ([] when nothing changed). */
export type MetricsSource = () => MetricData[];

const sources = new Set<MetricsSource>();

/** Adds a source of metrics to every report of this process (whichever core worker runs); returns its removal. */
export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** What the reporter reads the process's own series from. */
export interface ProcessMetricsParts {
  results: Pick<TaskResults, "countByState" | "finishedCount" | "failedCount">;
  running: Pick<RunningTasks, "count">;
  /** The actor this worker hosts: its class, and whether its constructor has finished. */
  actor(): { className: string; alive: boolean } | undefined;
}

/** A core worker's parts for its metrics: its owned tasks, and the tasks and actor its executor runs. */
export function metricsParts(results: TaskResults, executor: TaskExecutor): ProcessMetricsParts {
  return {
    results,
    running: executor.running,
    actor: () => (executor.hosted === undefined ? undefined : { className: executor.hosted.className, alive: executor.actorId !== undefined }),
  };
}

export interface MetricsReporterDeps {
  raylet: RpcConnection<RayletService, CoreWorkerService>;
  clock: Clock;
  intervalMs: number;
  parts: ProcessMetricsParts;
}

/** Starts a core worker's reports; returns what sends the last one and stops them (at close). */
export function startMetricsReports(deps: MetricsReporterDeps): () => void {
  const reporter = new MetricsReporter(deps);
  return () => reporter.close();
}

export class MetricsReporter {
  private timer: TimerHandle | undefined;
  private closed = false;
  /** The process's gauges as last sent (a gauge goes again only when it changed). */
  private lastGauges = "";
  private sentFinished = 0;
  private sentFailed = 0;

  constructor(private readonly deps: MetricsReporterDeps) {
    this.arm();
  }

  /** Sends what changed since the previous report, if anything did. */
  report(): void {
    if (this.deps.raylet.state !== "open") return;
    const metrics: MetricData[] = [...this.processSeries()];
    for (const source of sources) metrics.push(...source());
    if (metrics.length > 0) this.deps.raylet.notify("reportMetrics", { metrics });
  }

  /** Sends the last report, then stops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.report();
  }

  private arm(): void {
    // Unref'd: metrics waiting to be sent do not keep a driver alive.
    this.timer = this.deps.clock
      .setTimeout(() => {
        if (this.closed) return;
        this.report();
        this.arm();
      }, this.deps.intervalMs)
      .unref();
  }

  /** lux_tasks and lux_actors (gauges, when they changed) and lux_tasks_ended (increments). */
  private *processSeries(): Generator<MetricData> {
    const { results, running } = this.deps.parts;
    const states = results.countByState();
    const actor = this.deps.parts.actor();
    const tasks = [
      ["PENDING_ARGS_AVAIL", states.resolving],
      ["PENDING_NODE_ASSIGNMENT", states.queued],
      ["SUBMITTED_TO_WORKER", states.running],
      ["RUNNING", running.count()],
    ] as const;
    const gauges = JSON.stringify([tasks, actor]);
    if (gauges !== this.lastGauges) {
      this.lastGauges = gauges;
      yield gauge("lux_tasks", "Tasks of the node's processes by state: as owner (waiting for arguments, for a worker, sent to a worker) and as executor (running).", ["State"], tasks.map(([s, n]) => ({ tags: [s], value: n })));
      // Both states each time: the raylet keeps a gauge's last value per tag set.
      const actors = actor === undefined ? [] : [{ tags: ["PENDING_CREATION", actor.className], value: actor.alive ? 0 : 1 }, { tags: ["ALIVE", actor.className], value: actor.alive ? 1 : 0 }];
      yield gauge("lux_actors", "Actors hosted by the node's workers, by state and class.", ["State", "Name"], actors);
    }
    const finished = results.finishedCount - this.sentFinished;
    const failed = results.failedCount - this.sentFailed;
    if (finished + failed > 0) {
      this.sentFinished += finished;
      this.sentFailed += failed;
      yield {
        name: "lux_tasks_ended",
        kind: "counter",
        description: "Tasks the node's processes owned that ended, by state (FINISHED, or FAILED for good).",
        tagKeys: ["State"],
        series: [
          { tags: ["FINISHED"], value: finished },
          { tags: ["FAILED"], value: failed },
        ],
      };
    }
  }
}

function gauge(name: string, description: string, tagKeys: string[], series: MetricData["series"]): MetricData {
  return { name, kind: "gauge", description, tagKeys, series };
}
