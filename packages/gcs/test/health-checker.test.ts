import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { HealthChecker } from "../src/health-checker.js";
import { NodeManager, type RayletConnection } from "../src/node-manager.js";

const PERIOD = 1_000;
const DEATH = 5_000;

/** The slice of a raylet connection the node manager and health checker use. */
class FakeRaylet {
  /** While true, pings are answered at once; while false, they never are. */
  answering = true;
  pings = 0;
  closed: boolean[] = [];
  private readonly closeListeners: (() => void)[] = [];

  call(method: string, _req: unknown, timeoutMs?: number): Promise<unknown> {
    assert.equal(method, "ping");
    assert.equal(timeoutMs, DEATH);
    this.pings++;
    return this.answering ? Promise.resolve({}) : new Promise(() => undefined);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  close(destroy = false): void {
    this.closed.push(destroy);
    for (const l of this.closeListeners.splice(0)) l();
  }

  asConnection(): RayletConnection {
    return this as unknown as RayletConnection;
  }
}

async function setup(...ids: string[]): Promise<{
  clock: FakeClock;
  nodes: NodeManager;
  checker: HealthChecker;
  raylets: Map<string, FakeRaylet>;
  deaths: { nodeId: string; reason: string; at: number }[];
}> {
  const clock = new FakeClock(1_000_000);
  const nodes = new NodeManager(clock);
  const checker = new HealthChecker(nodes, clock, PERIOD, DEATH);
  const deaths: { nodeId: string; reason: string; at: number }[] = [];
  nodes.onNodeDeath((nodeId, reason) => deaths.push({ nodeId, reason, at: clock.now() }));
  const raylets = new Map<string, FakeRaylet>();
  for (const id of ids) {
    const r = new FakeRaylet();
    raylets.set(id, r);
    await nodes.register({ nodeId: id, address: `${id}:1`, resources: { CPU: 1 }, storeKind: "file", storeCapacity: 1 }, r.asConnection());
  }
  return { clock, nodes, checker, raylets, deaths };
}

const aliveIds = (nodes: NodeManager): string[] => nodes.alive().map((n) => n.info.nodeId).sort();

describe("HealthChecker", () => {
  test("a node that answers pings stays alive", async () => {
    const { clock, nodes, checker, raylets, deaths } = await setup("n1");
    checker.start();
    await clock.advanceAsync(10 * DEATH);
    assert.deepEqual(aliveIds(nodes), ["n1"]);
    assert.deepEqual(deaths, []);
    assert.equal(raylets.get("n1")?.pings, (10 * DEATH) / PERIOD, "one ping per period");
    assert.deepEqual(raylets.get("n1")?.closed, []);
    checker.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  test("a node that stops answering is declared dead after the death timeout and its connection closed", async () => {
    const { clock, nodes, checker, raylets, deaths } = await setup("good", "hung");
    const hung = raylets.get("hung") as FakeRaylet;
    checker.start();
    await clock.advanceAsync(3 * PERIOD); // answered its ping at +3s
    const lastAnswer = clock.now();
    hung.answering = false;

    // Silent for exactly the timeout: still alive (the limit is "more than").
    await clock.advanceAsync(DEATH);
    assert.deepEqual(aliveIds(nodes), ["good", "hung"]);
    assert.deepEqual(hung.closed, []);

    await clock.advanceAsync(PERIOD);
    assert.deepEqual(aliveIds(nodes), ["good"]);
    assert.equal(deaths.length, 1);
    assert.equal(deaths[0]?.nodeId, "hung");
    assert.equal(deaths[0]?.at, lastAnswer + DEATH + PERIOD);
    assert.match(deaths[0]?.reason ?? "", /health checks/);
    assert.deepEqual(hung.closed, [true], "connection destroyed once");
    assert.equal(nodes.list().find((n) => n.nodeId === "hung")?.alive, false);

    // The dead node is no longer pinged; the good one still is.
    const pings = hung.pings;
    const goodPings = raylets.get("good")?.pings ?? 0;
    await clock.advanceAsync(5 * PERIOD);
    assert.equal(hung.pings, pings);
    assert.equal(raylets.get("good")?.pings, goodPings + 5);
    assert.equal(deaths.length, 1);
    checker.stop();
  });

  test("a node that never answers dies one period after the timeout from when it joined", async () => {
    const { clock, nodes, checker, raylets, deaths } = await setup("mute");
    (raylets.get("mute") as FakeRaylet).answering = false;
    const joined = clock.now();
    checker.start();
    await clock.advanceAsync(DEATH);
    assert.deepEqual(aliveIds(nodes), ["mute"]);
    await clock.advanceAsync(PERIOD);
    assert.deepEqual(aliveIds(nodes), []);
    assert.equal(deaths[0]?.at, joined + DEATH + PERIOD);
    checker.stop();
  });

  test("a node that answers again before the timeout stays alive", async () => {
    const { clock, nodes, checker, raylets, deaths } = await setup("flaky");
    const flaky = raylets.get("flaky") as FakeRaylet;
    checker.start();
    for (let i = 0; i < 3; i++) {
      flaky.answering = false;
      await clock.advanceAsync(DEATH - PERIOD);
      flaky.answering = true;
      await clock.advanceAsync(PERIOD);
    }
    assert.deepEqual(aliveIds(nodes), ["flaky"]);
    assert.deepEqual(deaths, []);
    checker.stop();
  });

  test("check() can be driven by hand, and stop() leaves no timer behind", async () => {
    const { clock, nodes, checker, raylets } = await setup("n1");
    (raylets.get("n1") as FakeRaylet).answering = false;
    checker.check();
    assert.equal(raylets.get("n1")?.pings, 1);
    clock.advance(DEATH + 1);
    checker.check();
    assert.deepEqual(aliveIds(nodes), []);
    checker.start();
    assert.equal(clock.pendingTimers, 1);
    checker.stop();
    assert.equal(clock.pendingTimers, 0);
    await clock.advanceAsync(10 * PERIOD);
    assert.equal(clock.pendingTimers, 0, "a stopped checker does not reschedule");
  });
});
