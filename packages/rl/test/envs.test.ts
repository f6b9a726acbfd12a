/** Spaces, the built-in envs, the env registry and the env checks: no cluster, no tfjs. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as rl from "../src/index.js";

describe("spaces", () => {
  test("Box contains values within its bounds (compared as float32), of its size, without NaN", () => {
    const box = new rl.Box({ low: -1, high: 1, shape: [2] });
    assert.ok(box.contains([0, 1]));
    assert.ok(box.contains(Float32Array.of(-1, 0.5)));
    assert.equal(box.contains([0, 1.01]), false);
    assert.equal(box.contains([0]), false);
    assert.equal(box.contains([0, Number.NaN]), false);
    assert.equal(box.contains("ab"), false);
    assert.equal(box.toString(), "Box(low=-1, high=1, shape=[2])");
  });

  test("Box samples within finite bounds, reproducibly from a seeded Rng; bad bounds throw", () => {
    const box = new rl.Box({ low: [0, -5], high: [1, Infinity] });
    const a = box.sample(new rl.Rng(3));
    assert.deepEqual(a, box.sample(new rl.Rng(3)));
    assert.ok(box.contains(a));
    for (let i = 0; i < 100; i++) assert.ok(box.contains(box.sample(new rl.Rng(i))));
    assert.throws(() => new rl.Box({ low: 1, high: 0, shape: [1] }), /low\[0\] = 1 is above high\[0\] = 0/);
    assert.throws(() => new rl.Box({ low: 0, high: 1 }), /give shape/);
  });

  test("Discrete(n) holds the integers 0 … n-1 and samples them all", () => {
    const d = new rl.Discrete(3);
    assert.ok(d.contains(0) && d.contains(2));
    assert.equal(d.contains(3), false);
    assert.equal(d.contains(1.5), false);
    assert.equal(d.contains(-1), false);
    const rng = new rl.Rng(1);
    const seen = new Set(Array.from({ length: 100 }, () => d.sample(rng)));
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
    assert.throws(() => new rl.Discrete(0), /positive integer/);
  });
});

describe("CartPole-v1", () => {
  test("Gymnasium's spaces; reset({ seed }) is reproducible and starts within ±0.05", () => {
    const env = new rl.CartPole();
    assert.equal(env.actionSpace.toString(), "Discrete(2)");
    assert.deepEqual([...env.observationSpace.high].slice(0, 3).map((v) => Math.round(v * 1e4) / 1e4), [4.8, 3.4028234663852886e38, 0.4189]);
    const a = env.reset({ seed: 42 }).obs;
    const b = new rl.CartPole().reset({ seed: 42 }).obs;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, new rl.CartPole().reset({ seed: 43 }).obs);
    assert.ok([...a].every((v) => Math.abs(v) <= 0.05));
  });

  test("Euler steps of tau 0.02 with force ±10: positions move by tau × the old velocities", () => {
    const env = new rl.CartPole();
    const s0 = env.reset({ seed: 1 }).obs;
    const s1 = env.step(1).obs;
    // The state is float64, observed as float32.
    assert.ok(Math.abs(s1[0]! - (s0[0]! + 0.02 * s0[1]!)) < 1e-7);
    assert.ok(Math.abs(s1[2]! - (s0[2]! + 0.02 * s0[3]!)) < 1e-7);
    // Pushing right accelerates the cart right and the pole left.
    assert.ok(s1[1]! > s0[1]! && s1[3]! < s0[3]!);
  });

  test("reward 1 per step, the terminating step included; terminates past 12° and truncates at 500 steps", () => {
    const env = new rl.CartPole();
    env.reset({ seed: 0 });
    let steps = 0;
    let last;
    do {
      last = env.step(1);
      steps++;
      assert.equal(last.reward, 1);
    } while (!last.terminated && !last.truncated);
    assert.ok(last.terminated && !last.truncated);
    assert.ok(Math.abs(last.obs[2]!) > (12 * Math.PI) / 180 || Math.abs(last.obs[0]!) > 2.4, `ended at ${last.obs}`);
    assert.ok(steps < 100);
    assert.equal(env.step(1).reward, 0, "a step after the end earns nothing");

    // Truncation: a short time limit makes it visible without balancing for 500 steps.
    const short = new rl.CartPole({ maxEpisodeSteps: 3 });
    short.reset({ seed: 0 });
    assert.deepEqual([short.step(0).truncated, short.step(1).truncated, short.step(0).truncated], [false, false, true]);
    assert.equal(new rl.CartPole()["maxEpisodeSteps" as never], 500);
  });
});

describe("GridWorld", () => {
  const config = { size: 4, walls: [[1, 1]] as Array<[number, number]>, pits: [[1, 2]] as Array<[number, number]>, goal: [3, 3] as [number, number] };

  test("moves, walls, borders, a pit (−1, ends), the goal (+1, ends), −0.01 a step", () => {
    const env = new rl.GridWorld(config);
    assert.equal(env.reset().obs, 0);
    assert.deepEqual(env.step(0), { obs: 0, reward: -0.01, terminated: false, truncated: false, info: {} }, "up at the border stays");
    assert.equal(env.step(2).obs, 4, "down");
    assert.equal(env.step(1).obs, 4, "right into the wall at [1, 1] stays");
    env.reset();
    env.step(1);
    env.step(1);
    const pit = env.step(2);
    assert.deepEqual([pit.obs, pit.reward, pit.terminated], [6, -1, true]);
    env.reset();
    let r;
    for (const a of [2, 2, 2, 1, 1, 1]) r = env.step(a);
    assert.deepEqual([r?.obs, r?.reward, r?.terminated], [15, 1, true]);
    assert.equal(env.shortestPathLength(), 6);
  });

  test("truncates after maxEpisodeSteps", () => {
    const env = new rl.GridWorld({ ...config, maxEpisodeSteps: 2 });
    env.reset();
    assert.equal(env.step(0).truncated, false);
    assert.equal(env.step(0).truncated, true);
  });

  test("a bad envConfig throws InvalidEnvConfigError naming the field", () => {
    const bad = (c: rl.GridWorldConfig, field: string): void => {
      assert.throws(() => new rl.GridWorld(c), (e: unknown) => e instanceof rl.InvalidEnvConfigError && e.field === field && e.env === "GridWorld");
    };
    bad({ size: 1 }, "size");
    bad({ size: 4, goal: [4, 0] }, "goal");
    bad({ size: 4, walls: [[0, 9]] }, "walls[0]");
    bad({ size: 4, walls: [[3, 3]] }, "goal");
    bad({ size: 4, start: [3, 3] }, "goal");
  });
});

describe("the env registry", () => {
  test("makeEnv makes built-in and registered envs, passing envConfig and the context", () => {
    assert.ok(rl.makeEnv("CartPole-v1") instanceof rl.CartPole);
    const grid = rl.makeEnv("GridWorld", { size: 3 });
    assert.equal((grid as rl.GridWorld).size, 3);
    let seen: unknown;
    rl.registerEnv("Line-test", (cfg: { n: number }, ctx) => {
      seen = { cfg, ctx };
      return new rl.GridWorld({ size: cfg.n });
    });
    rl.makeEnv("Line-test", { n: 2 });
    assert.deepEqual(seen, { cfg: { n: 2 }, ctx: { workerIndex: 0, numWorkers: 0, vectorIndex: 0 } });
    assert.ok(rl.registeredEnvIds().includes("Line-test"));
  });

  test("an unknown id throws UnknownEnvError listing the registered ones; built-ins cannot be replaced", () => {
    assert.throws(
      () => rl.makeEnv("Pong-v5"),
      (e: unknown) => e instanceof rl.UnknownEnvError && e.env === "Pong-v5" && e.registered.includes("CartPole-v1") && /"GridWorld"/.test(e.message),
    );
    assert.throws(() => rl.registerEnv("CartPole-v1", () => new rl.CartPole()), /built-in/);
  });
});

class BadObsEnv implements rl.Env<number[], number> {
  observationSpace = new rl.Box({ low: -1, high: 1, shape: [2] });
  actionSpace = new rl.Discrete(2);
  private t = 0;
  constructor(private readonly bad: "obs" | "reward" | "none") {}
  reset(): rl.ResetResult<number[]> {
    this.t = 0;
    return { obs: [0, 0], info: {} };
  }
  step(): rl.StepResult<number[]> {
    this.t++;
    const obs = this.bad === "obs" && this.t === 3 ? [0, 7] : [0, 0];
    const reward = this.bad === "reward" && this.t === 2 ? Number.NaN : 1;
    return { obs, reward, terminated: this.t >= 5, truncated: false, info: {} };
  }
}

describe("checkEnv", () => {
  test("passes a good env (built-in or not)", async () => {
    await rl.checkEnv(new BadObsEnv("none"));
    await rl.checkEnv(new rl.CartPole());
    await rl.checkEnv(new rl.GridWorld());
  });

  test("an observation outside the space: EnvCheckError naming env, value and space", async () => {
    await assert.rejects(rl.checkEnv(new BadObsEnv("obs")), (e: unknown) => {
      assert.ok(e instanceof rl.EnvCheckError);
      assert.equal(e.env, "BadObsEnv");
      assert.equal(e.value, "[0, 7]");
      assert.equal(e.space, "Box(low=-1, high=1, shape=[2])");
      assert.match(e.message, /step\(\) returned an observation outside its observationSpace: \[0, 7\] is not in Box/);
      return true;
    });
  });

  test("a non-finite reward: EnvCheckError naming it", async () => {
    await assert.rejects(rl.checkEnv(new BadObsEnv("reward"), { name: "Mine" }), (e: unknown) => e instanceof rl.EnvCheckError && e.env === "Mine" && e.value === "NaN" && /not a finite number/.test(e.message));
  });
});
