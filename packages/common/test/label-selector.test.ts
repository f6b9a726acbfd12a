import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidOptionError, checkLabelSelector, checkNodeLabels, labelKeyProblem, labelMatcher, labelValueProblem, labelsMatch } from "../src/index.js";

describe("label syntax", () => {
  test("keys: an optional DNS-subdomain prefix and a name of at most 63 characters", () => {
    for (const key of ["zone", "a", "my.zone_1-x", "example.com/zone", "lux.io/node-id", "a-b.c/Z9", "x".repeat(63)]) {
      assert.equal(labelKeyProblem(key), undefined, key);
    }
    for (const key of ["", "-zone", "zone-", "zo ne", "x".repeat(64), "Example.com/zone", "a/b/c", "/zone", "pre_fix/zone", "zone/", ".a"]) {
      assert.notEqual(labelKeyProblem(key), undefined, key);
    }
  });

  test("values: empty, or at most 63 characters starting and ending alphanumeric", () => {
    for (const v of ["", "a", "H100", "us-east-1", "v1.2_3", "x".repeat(63)]) assert.equal(labelValueProblem(v), undefined, v);
    for (const v of ["-a", "a-", "a b", "a/b", "x".repeat(64), "in(a)", "!a"]) assert.notEqual(labelValueProblem(v), undefined, v);
  });
});

describe("label selectors", () => {
  const node = { zone: "a", market: "spot", region: "us", gpu: "a100" };

  test("equals, not-equals, in and not-in, every condition must hold", () => {
    assert.equal(labelsMatch({ zone: "a" }, node), true);
    assert.equal(labelsMatch({ zone: "b" }, node), false);
    assert.equal(labelsMatch({ market: "!spot" }, node), false);
    assert.equal(labelsMatch({ market: "!ondemand" }, node), true);
    assert.equal(labelsMatch({ region: "in(us,eu)" }, node), true);
    assert.equal(labelsMatch({ region: "in(eu, asia)" }, node), false);
    assert.equal(labelsMatch({ gpu: "!in(k80)" }, node), true);
    assert.equal(labelsMatch({ gpu: "!in(k80, a100)" }, node), false);
    assert.equal(labelsMatch({ zone: "a", region: "in(us,eu)", gpu: "!in(k80)" }, node), true);
    assert.equal(labelsMatch({ zone: "a", market: "!spot" }, node), false, "one failing condition fails the node");
  });

  test("a missing label fails v and in(...), satisfies !v and !in(...)", () => {
    assert.equal(labelsMatch({ rack: "r1" }, node), false);
    assert.equal(labelsMatch({ rack: "in(r1,r2)" }, node), false);
    assert.equal(labelsMatch({ rack: "!r1" }, node), true);
    assert.equal(labelsMatch({ rack: "!in(r1,r2)" }, node), true);
    assert.equal(labelsMatch({ rack: "!r1" }, undefined), true, "a node without labels at all");
    assert.equal(labelsMatch({ rack: "r1" }, undefined), false);
  });

  test("no selector, or an empty one, matches every node", () => {
    assert.equal(labelsMatch(undefined, node), true);
    assert.equal(labelsMatch({}, undefined), true);
    const m = labelMatcher({ zone: "in(a,b)" });
    assert.deepEqual([m({ zone: "a" }), m({ zone: "b" }), m({ zone: "c" }), m({})], [true, true, false, false]);
  });

  test("an empty value matches a label set to the empty string only", () => {
    assert.equal(labelsMatch({ tier: "" }, { tier: "" }), true);
    assert.equal(labelsMatch({ tier: "" }, {}), false);
    assert.equal(labelsMatch({ tier: "!" }, { tier: "x" }), true);
  });

  test("checkLabelSelector keeps a valid selector and drops an empty one", () => {
    const s = { zone: "a", market: "!spot", region: "in(us,eu)", gpu: "!in(k80)", "lux.io/accelerator-type": "H100" };
    assert.deepEqual(checkLabelSelector(s, "labelSelector"), s);
    assert.equal(checkLabelSelector({}, "labelSelector"), undefined);
    assert.equal(checkLabelSelector(undefined, "labelSelector"), undefined);
  });

  test("a malformed selector throws InvalidOptionError naming the key", () => {
    const cases: [unknown, string][] = [
      [{ zone: "in()" }, "labelSelector.zone"],
      [{ zone: "in(a,)" }, "labelSelector.zone"],
      [{ zone: "in(a b)" }, "labelSelector.zone"],
      [{ zone: "a b" }, "labelSelector.zone"],
      [{ zone: "!!a" }, "labelSelector.zone"],
      [{ zone: 3 }, "labelSelector.zone"],
      [{ "bad key": "a" }, "labelSelector.bad key"],
      [{ "UPPER.com/zone": "a" }, "labelSelector.UPPER.com/zone"],
      [{ region: "in(us,eu" }, "labelSelector.region"],
      [{ z: "x".repeat(64) }, "labelSelector.z"],
    ];
    for (const [selector, option] of cases) {
      assert.throws(
        () => checkLabelSelector(selector, "labelSelector"),
        (e: unknown) => e instanceof InvalidOptionError && e.option === option && e.message.includes(option),
        JSON.stringify(selector),
      );
    }
    for (const bad of [null, "zone=a", ["a"], 1]) {
      assert.throws(() => checkLabelSelector(bad, "labelSelector"), (e: unknown) => e instanceof InvalidOptionError && e.option === "labelSelector");
    }
  });

  test("node labels: valid keys and values, no lux.io/ keys", () => {
    assert.deepEqual(checkNodeLabels({ zone: "a", "example.com/rack": "" }, "labels"), { zone: "a", "example.com/rack": "" });
    assert.deepEqual(checkNodeLabels(undefined, "labels"), {});
    assert.throws(() => checkNodeLabels({ "lux.io/node-id": "x" }, "labels"), (e: unknown) => e instanceof InvalidOptionError && e.option === "labels.lux.io/node-id");
    assert.throws(() => checkNodeLabels({ zone: "!a" }, "labels"), (e: unknown) => e instanceof InvalidOptionError && e.option === "labels.zone");
    assert.throws(() => checkNodeLabels({ zone: 1 }, "labels"), (e: unknown) => e instanceof InvalidOptionError && e.option === "labels.zone");
    assert.throws(() => checkNodeLabels("zone", "labels"), InvalidOptionError);
  });
});
