/**
 * lux.util.metrics in one process: declarations and values are checked at once
 * (InvalidMetricError), and each report takes what was recorded since the previous one:
 * counters' and histograms' increments, gauges' last values, per tag set.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidMetricError } from "@lux/core";
import { Counter, Gauge, Histogram } from "../src/metrics/index.js";
import { takeRecorded } from "../src/metrics/registry.js";

const invalid = (fn: () => unknown, problem: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof InvalidMetricError && e.code === "LUX_INVALID_METRIC" && problem.test(e.message));
};

function taken(name: string): ReturnType<typeof takeRecorded>[number] | undefined {
  return takeRecorded().find((m) => m.name === name);
}

describe("lux.util.metrics declarations", () => {
  it("refuses names Prometheus does not allow, and Lux's own", () => {
    invalid(() => new Counter({ name: "1st" }), /not starting with a digit/);
    invalid(() => new Counter({ name: "a-b" }), /letters, digits/);
    invalid(() => new Gauge({ name: "" }), /letters, digits/);
    invalid(() => new Gauge({ name: "lux_tasks" }), /Lux's and Prometheus' own/);
    invalid(() => new Counter({ name: 3 as unknown as string }), /must be a string/);
    invalid(() => new Counter(undefined as unknown as { name: string }), /options object/);
  });

  it("refuses bad, reserved or repeated tag keys", () => {
    invalid(() => new Counter({ name: "decl_tags_1", tagKeys: ["a b"] }), /tag key "a b" is not valid/);
    invalid(() => new Counter({ name: "decl_tags_2", tagKeys: ["__x"] }), /not valid/);
    invalid(() => new Counter({ name: "decl_tags_3", tagKeys: ["node_id"] }), /Lux's own/);
    invalid(() => new Histogram({ name: "decl_tags_4", boundaries: [1], tagKeys: ["le"] }), /Lux's own/);
    invalid(() => new Counter({ name: "decl_tags_5", tagKeys: ["a", "a"] }), /declared twice/);
    invalid(() => new Counter({ name: "decl_tags_6", tagKeys: "a" as unknown as string[] }), /array of strings/);
  });

  it("refuses empty, unsorted or non-finite histogram boundaries", () => {
    invalid(() => new Histogram({ name: "decl_b_1", boundaries: [] }), /non-empty array/);
    invalid(() => new Histogram({ name: "decl_b_2", boundaries: [1, 0.5] }), /strictly ascending; 0.5 follows 1/);
    invalid(() => new Histogram({ name: "decl_b_3", boundaries: [1, 1] }), /strictly ascending/);
    invalid(() => new Histogram({ name: "decl_b_4", boundaries: [1, Infinity] }), /finite/);
    invalid(() => new Histogram({ name: "decl_b_5" } as unknown as { name: string; boundaries: number[] }), /needs boundaries/);
  });

  it("shares a name declared again alike, and refuses it declared otherwise", () => {
    const a = new Counter({ name: "decl_again", tagKeys: ["k"] });
    const b = new Counter({ name: "decl_again", tagKeys: ["k"], description: "same" });
    a.inc(1, { k: "x" });
    b.inc(2, { k: "x" });
    assert.deepEqual(taken("decl_again")?.series, [{ tags: ["x"], value: 3 }]);
    invalid(() => new Gauge({ name: "decl_again", tagKeys: ["k"] }), /already declared it as a counter/);
    invalid(() => new Counter({ name: "decl_again", tagKeys: ["j"] }), /already declared/);
  });
});

describe("lux.util.metrics values", () => {
  it("counters add increments per tag set; a negative or non-finite inc throws", () => {
    const c = new Counter({ name: "val_counter", description: "d", tagKeys: ["route", "code"] });
    c.inc();
    c.inc(2, { route: "/a" });
    c.inc(0.5, { route: "/a" });
    c.inc(1, { code: "200", route: "/b" });
    assert.deepEqual(taken("val_counter"), {
      name: "val_counter",
      kind: "counter",
      description: "d",
      tagKeys: ["route", "code"],
      series: [
        { tags: ["", ""], value: 1 },
        { tags: ["/a", ""], value: 2.5 },
        { tags: ["/b", "200"], value: 1 },
      ],
    });
    assert.equal(taken("val_counter"), undefined, "nothing new since the last report");
    invalid(() => c.inc(-1), /only goes up: inc\(-1\)/);
    invalid(() => c.inc(NaN), /finite number/);
    invalid(() => c.inc(1, { other: "x" }), /tag key "other" was not declared \(tagKeys: route, code\)/);
    invalid(() => c.inc(1, { route: 3 as unknown as string }), /must be a string/);
    assert.equal(taken("val_counter"), undefined, "refused values recorded nothing");
  });

  it("gauges keep their last value per tag set", () => {
    const g = new Gauge({ name: "val_gauge", tagKeys: ["q"] });
    g.set(3, { q: "a" });
    g.set(-1, { q: "a" });
    g.set(7, { q: "b" });
    assert.deepEqual(taken("val_gauge")?.series, [
      { tags: ["a"], value: -1 },
      { tags: ["b"], value: 7 },
    ]);
    invalid(() => g.set(Infinity), /finite/);
    invalid(() => new Gauge({ name: "val_gauge_2" }).set(1, { q: "a" }), /was not declared \(tagKeys: none\)/);
  });

  it("histograms count observations in their buckets (a last one for +Inf) with their sum", () => {
    const h = new Histogram({ name: "val_hist", boundaries: [1, 5] });
    for (const v of [0.5, 1, 3, 5, 9]) h.observe(v);
    assert.deepEqual(taken("val_hist"), { name: "val_hist", kind: "histogram", description: "", tagKeys: [], boundaries: [1, 5], series: [{ tags: [], value: 18.5, counts: [2, 2, 1] }] });
    h.observe(2);
    assert.deepEqual(taken("val_hist")?.series, [{ tags: [], value: 2, counts: [0, 1, 0] }], "increments since the last report");
    invalid(() => h.observe(NaN), /finite/);
  });
});
