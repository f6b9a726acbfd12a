/** Prometheus' text format as a raylet writes it: headers once per family, escaping, cumulative buckets, special values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PrometheusText } from "../src/prometheus-text.js";

describe("PrometheusText", () => {
  it("writes families with escaped help and label values, and special numbers", () => {
    const t = new PrometheusText();
    t.family("a_total", "counter", 'help with \\ and\nnewline "quoted"', [{ labels: [["k", 'v "1"\\\n']], value: 3 }]);
    t.family("b", "gauge", "B", [
      { labels: [], value: Infinity },
      { labels: [["x", "y"]], value: NaN },
    ]);
    t.family("b", "gauge", "again", [{ labels: [], value: 1 }]);
    assert.equal(
      t.toString(),
      [
        '# HELP a_total help with \\\\ and\\nnewline "quoted"',
        "# TYPE a_total counter",
        'a_total{k="v \\"1\\"\\\\\\n"} 3',
        "# HELP b B",
        "# TYPE b gauge",
        "b +Inf",
        'b{x="y"} NaN',
        "",
      ].join("\n"),
    );
  });

  it("writes histograms with cumulative buckets, +Inf, _sum and _count", () => {
    const t = new PrometheusText();
    t.histogram("h_seconds", "H", [0.5, 1], [{ labels: [["node_id", "n"]], counts: [2, 0, 3], sum: 7.5 }]);
    assert.equal(
      t.toString(),
      [
        "# HELP h_seconds H",
        "# TYPE h_seconds histogram",
        'h_seconds_bucket{node_id="n",le="0.5"} 2',
        'h_seconds_bucket{node_id="n",le="1"} 2',
        'h_seconds_bucket{node_id="n",le="+Inf"} 5',
        'h_seconds_sum{node_id="n"} 7.5',
        'h_seconds_count{node_id="n"} 5',
        "",
      ].join("\n"),
    );
  });
});
