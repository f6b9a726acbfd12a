/** What env runners compute from their steps: PPO's GAE, DQN's n-step transitions; and the replay buffer. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { initModule, ppoModuleSpec, dqnModuleSpec } from "../src/model/module-spec.js";
import type { Weights } from "../src/model/weights.js";
import { Rng } from "../src/rng.js";
import { DqnCollector } from "../src/runner/dqn-collector.js";
import { PpoCollector } from "../src/runner/ppo-collector.js";
import { ReplayBuffer } from "../src/replay/replay-buffer.js";
import type { DqnBatch } from "../src/runner/sample-batch.js";
import { Box, Discrete } from "../src/spaces.js";

const close = (a: ArrayLike<number>, b: readonly number[]): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-5, `[${i}] ${a[i]} vs ${b[i]}`);
};

/** PPO weights whose value net says 0.5 everywhere. */
function constantValue(): { spec: ReturnType<typeof ppoModuleSpec>; w: Weights } {
  const spec = ppoModuleSpec(new Box({ low: -1, high: 1, shape: [1] }), new Discrete(2), { fcnetHiddens: [2], fcnetActivation: "tanh" });
  const w = initModule(spec, new Rng(1));
  for (const k of Object.keys(w)) if (k.startsWith("vf")) w[k]!.fill(0);
  w["vf.1.bias"]![0] = 0.5;
  return { spec, w };
}

describe("PPO's GAE in the runner", () => {
  const run = (ends: Array<"none" | "terminated" | "truncated">): ReturnType<PpoCollector["finish"]> => {
    const { spec, w } = constantValue();
    const c = new PpoCollector(spec, 1, ends.length, 0.9, 0.8);
    const x = Float32Array.of(0);
    ends.forEach((end, t) => {
      c.act(w, x, t, new Rng(t));
      c.record(w, 0, t, 1, end === "terminated", end === "truncated" ? x : undefined);
    });
    return c.finish(w, x);
  };

  test("a terminated step bootstraps from 0 and cuts the chain; others chain with γλ", () => {
    // δ = 1 + 0.9·0.5 − 0.5 = 0.95 when bootstrapped, 0.5 at the terminal step.
    const b = run(["none", "terminated", "none", "none"]);
    close(b.advantages, [0.95 + 0.72 * 0.5, 0.5, 0.95 + 0.72 * 0.95, 0.95]);
    close(b.valueTargets, [0.95 + 0.36 + 0.5, 1, 0.95 + 0.684 + 0.5, 1.45]);
    close(b.vfPreds, [0.5, 0.5, 0.5, 0.5]);
  });

  test("a truncated step bootstraps from its last observation's value", () => {
    const b = run(["none", "truncated"]);
    close(b.advantages, [0.95 + 0.72 * 0.95, 0.95]);
  });

  test("a dropped step (its env failed) is left out and the step before ends where it led", () => {
    const { spec, w } = constantValue();
    const c = new PpoCollector(spec, 1, 3, 0.9, 0.8);
    const x = Float32Array.of(0);
    c.act(w, x, 0, new Rng(0));
    c.record(w, 0, 0, 1, false, undefined);
    c.act(w, x, 1, new Rng(1));
    c.dropped(0, 1);
    c.act(w, x, 2, new Rng(2));
    c.record(w, 0, 2, 1, false, undefined);
    const b = c.finish(w, x);
    assert.equal(b.count, 2);
    close(b.advantages, [0.95, 0.95]);
  });
});

describe("DQN's n-step transitions in the runner", () => {
  test("n = 2: the oldest step goes out with r0 + γ·r1 and γ², and an episode's end flushes the rest", () => {
    const spec = dqnModuleSpec(new Box({ low: -10, high: 10, shape: [1] }), new Discrete(2), { fcnetHiddens: [2], fcnetActivation: "relu" });
    const w = initModule(spec, new Rng(1));
    const c = new DqnCollector(spec, 1, 0.5, 2);
    const obs = (v: number): Float32Array => Float32Array.of(v);
    c.act(w, obs(0), 1, new Rng(0));
    c.record(0, 1, false, false, obs(1));
    c.act(w, obs(1), 1, new Rng(0));
    c.record(0, 2, false, false, obs(2));
    c.act(w, obs(2), 1, new Rng(0));
    c.record(0, 3, true, false, obs(3));
    const b = c.take();
    assert.equal(b.count, 3);
    close(b.obs, [0, 1, 2]);
    close(b.nextObs, [2, 3, 3]);
    close(b.rewards, [1 + 0.5 * 2, 2 + 0.5 * 3, 3]);
    close(b.discounts, [0.25, 0.25, 0.5]);
    close(b.terminateds, [0, 1, 1]);
    assert.equal(c.take().count, 0);
  });
});

function transitions(values: number[]): DqnBatch {
  const col = (f: (v: number) => number): Float32Array => Float32Array.from(values, f);
  return { kind: "dqn", count: values.length, obs: col((v) => v), actions: col(() => 0), rewards: col((v) => v), nextObs: col((v) => v + 1), terminateds: col(() => 0), discounts: col(() => 0.99) };
}

describe("the replay buffer", () => {
  test("a ring: past capacity the oldest are overwritten; samples are rows as they were added", () => {
    const b = new ReplayBuffer(4, undefined);
    b.add(transitions([1, 2, 3]));
    b.add(transitions([4, 5, 6]));
    assert.equal(b.size, 4);
    const s = b.sample(50, new Rng(1));
    const seen = new Set(s.batch.obs);
    assert.deepEqual([...seen].sort(), [3, 4, 5, 6]);
    for (let i = 0; i < 50; i++) assert.equal(s.batch.nextObs[i], s.batch.obs[i]! + 1);
    assert.ok(s.weights.every((v) => v === 1));
  });

  test("prioritized: sampled in proportion to priority^alpha, with importance weights at most 1", () => {
    const b = new ReplayBuffer(8, { alpha: 1, beta: 1 });
    b.add(transitions([0, 1, 2, 3]));
    b.updatePriorities(Int32Array.of(0, 1, 2, 3), Float32Array.of(1, 1, 1, 97));
    const s = b.sample(1000, new Rng(2));
    const heavy = s.batch.obs.filter((v) => v === 3).length;
    assert.ok(heavy > 900 && heavy < 1000, `priority 97 of 100 sampled ${heavy} of 1000`);
    assert.ok(Math.max(...s.weights) <= 1 + 1e-6);
    const light = s.weights[s.batch.obs.indexOf(0)]!;
    const heavyW = s.weights[s.batch.obs.indexOf(3)]!;
    assert.ok(Math.abs(light / heavyW - 97) < 1e-3, "weights ∝ 1 / P(i) with beta 1");
  });
});
