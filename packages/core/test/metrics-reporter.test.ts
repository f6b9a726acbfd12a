/**
 * A process's metrics reports on a FakeClock: one notification to the raylet every
 * metricsReportIntervalMs when something changed (the process's tasks and actor by state as
 * gauges when they changed, ended tasks and the sources' data as increments), none while the
 * raylet is away, and a last one at close.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock, type CoreWorkerService, type MetricData, type RayletService, type RpcConnection } from "@lux/protocol";
import { MetricsReporter, addMetricsSource, type ProcessMetricsParts } from "../src/metrics-reporter.js";

function fakeRaylet(): { raylet: RpcConnection<RayletService, CoreWorkerService>; reports: MetricData[][]; setState(s: string): void } {
  const reports: MetricData[][] = [];
  let state = "open";
  const raylet = {
    get state() {
      return state;
    },
    notify: (method: string, body: { metrics: MetricData[] }) => {
      assert.equal(method, "reportMetrics");
      reports.push(body.metrics);
    },
  } as unknown as RpcConnection<RayletService, CoreWorkerService>;
  return { raylet, reports, setState: (s) => (state = s) };
}

function parts(): ProcessMetricsParts & { states: { resolving: number; queued: number; running: number }; executing: number; actorState: { className: string; alive: boolean } | undefined } {
  const p = {
    states: { resolving: 0, queued: 0, running: 0 },
    executing: 0,
    actorState: undefined as { className: string; alive: boolean } | undefined,
    results: { countByState: () => ({ ...p.states }), finishedCount: 0, failedCount: 0 },
    running: { count: () => p.executing },
    actor: () => p.actorState,
  };
  return p;
}

const byName = (report: MetricData[] | undefined, name: string): MetricData | undefined => report?.find((m) => m.name === name);

describe("MetricsReporter", () => {
  it("reports the process's series every interval, only what changed", () => {
    const clock = new FakeClock();
    const { raylet, reports } = fakeRaylet();
    const p = parts();
    const reporter = new MetricsReporter({ raylet, clock, intervalMs: 1000, parts: p });
    clock.advance(999);
    assert.equal(reports.length, 0);
    clock.advance(1);
    assert.deepEqual(byName(reports[0], "lux_tasks")?.series, [
      { tags: ["PENDING_ARGS_AVAIL"], value: 0 },
      { tags: ["PENDING_NODE_ASSIGNMENT"], value: 0 },
      { tags: ["SUBMITTED_TO_WORKER"], value: 0 },
      { tags: ["RUNNING"], value: 0 },
    ]);
    clock.advance(1000);
    assert.equal(reports.length, 1, "nothing changed: nothing sent");
    p.states.queued = 2;
    p.executing = 1;
    p.actorState = { className: "Counter", alive: true };
    p.results.finishedCount = 5;
    p.results.failedCount = 1;
    clock.advance(1000);
    assert.equal(reports.length, 2);
    assert.deepEqual(byName(reports[1], "lux_tasks")?.series.map((s) => s.value), [0, 2, 0, 1]);
    assert.deepEqual(byName(reports[1], "lux_actors")?.series, [
      { tags: ["PENDING_CREATION", "Counter"], value: 0 },
      { tags: ["ALIVE", "Counter"], value: 1 },
    ]);
    assert.deepEqual(byName(reports[1], "lux_tasks_ended")?.series, [
      { tags: ["FINISHED"], value: 5 },
      { tags: ["FAILED"], value: 1 },
    ]);
    p.results.finishedCount = 7;
    clock.advance(1000);
    assert.equal(byName(reports[2], "lux_tasks"), undefined, "gauges unchanged");
    assert.deepEqual(byName(reports[2], "lux_tasks_ended")?.series.map((s) => s.value), [2, 0], "increments since the last report");
    reporter.close();
  });

  it("adds the sources' data, sends nothing while the raylet is away, and reports once more at close", () => {
    const clock = new FakeClock();
    const { raylet, reports, setState } = fakeRaylet();
    const pending: MetricData[] = [];
    const remove = addMetricsSource(() => pending.splice(0));
    try {
      const reporter = new MetricsReporter({ raylet, clock, intervalMs: 500, parts: parts() });
      clock.advance(500);
      const user: MetricData = { name: "user_total", kind: "counter", description: "", tagKeys: [], series: [{ tags: [], value: 1 }] };
      pending.push(user);
      setState("closed");
      clock.advance(500);
      assert.equal(reports.length, 1, "not sent while the raylet is away");
      setState("open");
      reporter.close();
      assert.deepEqual(reports[1], [user], "the last report, at close");
      clock.advance(5000);
      assert.equal(reports.length, 2, "no report after close");
    } finally {
      remove();
    }
  });
});
