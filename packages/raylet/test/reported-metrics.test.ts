/**
 * A node's sum of what its processes report: counters and histograms add up and outlive the
 * processes, gauges are each process's last value summed (and forgotten with the process);
 * a name reported with another definition, or a series that does not fit, is refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricData } from "@lux/protocol";
import { ReportedMetrics, type ServedSeries } from "../src/reported-metrics.js";

const counter = (value: number, tags = ["/a"]): MetricData => ({ name: "requests", kind: "counter", description: "Requests", tagKeys: ["route"], series: [{ tags, value }] });
const gauge = (value: number): MetricData => ({ name: "depth", kind: "gauge", description: "", tagKeys: [], series: [{ tags: [], value }] });
const histogram = (counts: number[], sum: number): MetricData => ({ name: "step", kind: "histogram", description: "", tagKeys: [], boundaries: [1, 5], series: [{ tags: [], value: sum, counts }] });

function served(m: ReportedMetrics, name: string): ServedSeries[] | undefined {
  return [...m.served()].find((f) => f.definition.name === name)?.series;
}

describe("ReportedMetrics", () => {
  it("adds counters' and histograms' increments from every process, kept when a process goes", () => {
    const m = new ReportedMetrics(() => undefined);
    const a = {};
    const b = {};
    m.add(a, [counter(2), histogram([1, 0, 0], 0.5)]);
    m.add(b, [counter(3), counter(1, ["/b"]), histogram([0, 1, 1], 9)]);
    m.add(a, [counter(1)]);
    m.processGone(a);
    assert.deepEqual(served(m, "requests"), [
      { tags: ["/a"], value: 6 },
      { tags: ["/b"], value: 1 },
    ]);
    assert.deepEqual(served(m, "step"), [{ tags: [], value: 9.5, counts: [1, 1, 1] }]);
  });

  it("sums each process's last gauge value, and forgets a process's gauges when it goes", () => {
    const m = new ReportedMetrics(() => undefined);
    const a = {};
    const b = {};
    m.add(a, [gauge(4)]);
    m.add(a, [gauge(5)]);
    m.add(b, [gauge(10)]);
    assert.deepEqual(served(m, "depth"), [{ tags: [], value: 15 }]);
    m.processGone(b);
    assert.deepEqual(served(m, "depth"), [{ tags: [], value: 5 }]);
  });

  it("refuses a name reported with another definition (warning once), and series that do not fit", () => {
    const warnings: string[] = [];
    const m = new ReportedMetrics((w) => warnings.push(w));
    m.add({}, [counter(1)]);
    m.add({}, [{ ...gauge(1), name: "requests" }]);
    m.add({}, [{ ...gauge(2), name: "requests" }]);
    m.add({}, [{ ...counter(1), tagKeys: ["other"] }]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /requests was reported as a gauge .* but is a counter/);
    m.add({}, [counter(-1), counter(NaN), { ...counter(1), series: [{ tags: [], value: 1 }] }]);
    m.add({}, [histogram([1, 1], 2), { ...histogram([1, 0, 0], 1), boundaries: [5, 1] }]);
    assert.deepEqual(served(m, "requests"), [{ tags: ["/a"], value: 1 }]);
    assert.deepEqual(served(m, "step"), []);
    m.add({}, [{ ...counter(1), name: "bad-name" }, { ...gauge(1), tagKeys: ["node_id"], series: [{ tags: ["x"], value: 1 }] }]);
    assert.equal(served(m, "bad-name"), undefined);
    assert.equal(warnings.length, 4, "requests, step (other boundaries), bad-name, depth (a reserved tag key)");
  });
});
