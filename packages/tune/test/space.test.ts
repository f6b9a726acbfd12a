/**
 * Search spaces without a cluster (issue 20, points 2 and 9): each domain draws within its
 * bounds (randint's upper bound excluded, qrandint's included, quantized values on their steps,
 * log domains in log scale), sampleFrom sees the rest of the config, grid axes are crossed and
 * repeated numSamples times, the same seed gives the same configs, and bad arguments throw at
 * once naming the argument.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as tune from "../src/index.js";
import { BasicVariantGenerator } from "../src/search/basic-variant.js";
import { Rng } from "../src/search/rng.js";
import { flatten, resolveConfig, spaceFromJSON, spaceToJSON } from "../src/search/space.js";

function draws<T>(domain: tune.Domain<T>, n = 2000, seed = 1): T[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => domain.sample(rng, { config: {} }));
}

function configs(space: tune.ParamSpace, numSamples: number, seed?: number, pointsToEvaluate?: Record<string, unknown>[]): Record<string, unknown>[] {
  const g = new BasicVariantGenerator(pointsToEvaluate === undefined ? {} : { pointsToEvaluate });
  g.setSearchProperties({ metric: undefined, mode: undefined, paramSpace: space, seed, numSamples });
  const out: Record<string, unknown>[] = [];
  for (let c = g.suggest(); c !== tune.FINISHED; c = g.suggest()) out.push(c);
  return out;
}

describe("domains", () => {
  test("uniform, loguniform: within [lower, upper); loguniform's median near the geometric mean", () => {
    const u = draws(tune.uniform(2, 3));
    assert.ok(u.every((v) => v >= 2 && v < 3));
    const l = draws(tune.loguniform(1e-4, 1e-1)).sort((a, b) => a - b);
    assert.ok(l.every((v) => v >= 1e-4 && v < 1e-1));
    const median = l[l.length / 2] as number;
    assert.ok(median > 1e-3 && median < 1e-2, `log scale: median ${median} near 10^-2.5`);
  });

  test("randint: upper excluded; qrandint: upper included, steps of q from lower; quniform and qloguniform: multiples of q", () => {
    assert.deepEqual([...new Set(draws(tune.randint(0, 3)))].sort(), [0, 1, 2]);
    assert.deepEqual([...new Set(draws(tune.qrandint(0, 10, 5)))].sort((a, b) => a - b), [0, 5, 10]);
    assert.ok(draws(tune.quniform(0, 1, 0.1)).every((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9 && v >= 0 && v <= 1));
    assert.ok(draws(tune.qloguniform(1, 1000, 5)).every((v) => v % 5 === 0 && v >= 1 && v <= 1000));
  });

  test("randn: mean and spread; choice: each category", () => {
    const n = draws(tune.randn(10, 2), 4000);
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    assert.ok(Math.abs(mean - 10) < 0.2, String(mean));
    assert.deepEqual([...new Set(draws(tune.choice(["a", "b", "c"])))].sort(), ["a", "b", "c"]);
  });

  test("sampleFrom sees the config's other values (drawn first), nested", () => {
    const rng = new Rng(3);
    const c = resolveConfig({ width: tune.randint(1, 5), opt: { double: tune.sampleFrom((spec) => (spec.config["width"] as number) * 2), beta: tune.uniform(0.8, 0.99) } }, rng);
    assert.equal((c["opt"] as { double: number }).double, (c["width"] as number) * 2);
    assert.deepEqual(Object.keys(flatten(c)).sort(), ["opt/beta", "opt/double", "width"]);
  });

  test("bad arguments throw at once, naming the argument", () => {
    const names = (fn: () => unknown, option: RegExp): void => {
      assert.throws(fn, (e: unknown) => e instanceof tune.InvalidOptionError && option.test(e.message));
    };
    names(() => tune.uniform(1, 0), /invalid option upper: expected a number greater than lower \(1\) in tune\.uniform\(lower, upper\), got 0/);
    names(() => tune.loguniform(0, 1), /invalid option lower: expected a number > 0 in tune\.loguniform/);
    names(() => tune.choice([]), /invalid option categories: expected a non-empty array in tune\.choice/);
    names(() => tune.randint(3, 3), /invalid option upper/);
    names(() => tune.randint(0.5, 3), /invalid option lower: expected an integer/);
    names(() => tune.quniform(0, 1, 0), /invalid option q/);
    names(() => tune.randn(0, -1), /invalid option sd/);
    names(() => tune.gridSearch([]), /invalid option values/);
    names(() => tune.uniform(Number.NaN, 1), /invalid option lower: expected a finite number/);
  });
});

describe("BasicVariantGenerator", () => {
  test("grid axes crossed, times numSamples: 3 axes of 2 values, 2 samples = 16 configs, each combination twice", () => {
    const space = { a: tune.gridSearch([1, 2]), b: { c: tune.gridSearch(["x", "y"]) }, d: tune.gridSearch([true, false]), r: tune.uniform(0, 1), k: 7 };
    const out = configs(space, 2, 1);
    assert.equal(out.length, 16);
    const combos = out.map((c) => `${c["a"]}${(c["b"] as { c: string }).c}${c["d"]}`);
    assert.deepEqual(combos.slice(0, 8), ["1xtrue", "1xfalse", "1ytrue", "1yfalse", "2xtrue", "2xfalse", "2ytrue", "2yfalse"], "the first axis changes slowest");
    assert.deepEqual(combos.slice(8), combos.slice(0, 8));
    assert.ok(out.every((c) => c["k"] === 7));
    assert.equal(new Set(out.map((c) => c["r"])).size, 16, "random values drawn per config");
  });

  test("the same seed gives the same configs; another seed others", () => {
    const space = { lr: tune.loguniform(1e-4, 1e-1), act: tune.choice(["relu", "tanh"]), n: tune.randint(1, 100) };
    assert.deepEqual(configs(space, 10, 42), configs(space, 10, 42));
    assert.notDeepEqual(configs(space, 10, 42), configs(space, 10, 43));
  });

  test("points to evaluate come first, one per sample, their values fixed and the rest drawn", () => {
    const out = configs({ lr: tune.uniform(0, 1), act: tune.gridSearch(["relu", "tanh"]) }, 3, 1, [{ lr: 0.5 }, { lr: 0.25, act: "tanh" }]);
    assert.deepEqual(out.slice(0, 3), [{ lr: 0.5, act: "relu" }, { lr: 0.5, act: "tanh" }, { lr: 0.25, act: "tanh" }]);
    assert.equal(out.length, 5);
  });

  test("a space goes to JSON (the experiment state) and back; sampleFrom cannot", () => {
    const space = { lr: tune.loguniform(1e-4, 1e-1), q: tune.qrandint(0, 10, 2), act: tune.gridSearch(["relu", "tanh"]), c: tune.choice([1, 2]), n: tune.randn(), k: [1, 2] };
    const back = spaceFromJSON(JSON.parse(JSON.stringify(spaceToJSON(space)))) as tune.ParamSpace;
    assert.deepEqual(configs(back, 3, 9), configs(space, 3, 9));
    assert.equal(spaceToJSON({ f: tune.sampleFrom(() => 1) }), undefined);
  });
});
