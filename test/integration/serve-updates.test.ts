/**
 * @lux/serve's redeploys (issue 21, points 2 and 8): a redeploy that changes only userConfig
 * reconfigures the live replicas (same processes); other changes roll (new processes) with
 * zero failed requests under steady load.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { ConfiguredDeployment, ModelDeployment, SlowDeployment } from "./fixtures/serve-apps.js";
import { waitFor } from "./helpers.js";

let base = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  const s = await serve.start({ http: { port: 0, } });
  base = Object.values(s.proxies)[0]?.url ?? "";
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

async function pids(app: string, deployment: string): Promise<number[]> {
  const d = (await serve.status()).applications[app]?.deployments[deployment];
  return (d?.replicas ?? []).filter((r) => r.state === "RUNNING").map((r) => r.pid as number).sort();
}

/** Steady load over HTTP until `stop`: counts answers by status. */
function steadyLoad(url: string, clients: number): { stop(): Promise<Map<number, number>> } {
  let stopped = false;
  const counts = new Map<number, number>();
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const status = await fetch(url).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => -1,
      );
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return counts;
    },
  };
}

describe("redeploys", () => {
  test("only userConfig changed: reconfigure() on the live replicas, same processes", async () => {
    const d = ConfiguredDeployment.options({ numReplicas: 2, userConfig: { threshold: 1 } });
    const h = await serve.run(d.bind(), { name: "conf", routePrefix: "/conf" });
    const before = await pids("conf", "Configured");
    assert.equal(before.length, 2);
    assert.deepEqual((await h.info.remote()).config, { threshold: 1 });
    await serve.run(d.options({ userConfig: { threshold: 2 } }).bind(), { name: "conf", routePrefix: "/conf" });
    assert.deepEqual(await pids("conf", "Configured"), before);
    const seen = await Promise.all(Array.from({ length: 8 }, () => h.info.remote()));
    for (const s of seen) assert.deepEqual(s.config, { threshold: 2 });
    assert.deepEqual(new Set(seen.map((s) => s.pid)), new Set(before));
  });

  test("a changed constructor argument rolls: new processes running the new argument", async () => {
    const h = await serve.run(ModelDeployment.bind(2), { name: "model", routePrefix: null });
    const before = await pids("model", "Model");
    assert.equal(await h.predict.remote(10), 20);
    await serve.run(ModelDeployment.bind(5), { name: "model", routePrefix: null });
    await waitFor(async () => ((await serve.status()).applications["model"]?.deployments["Model"]?.replicas.length ?? 0) === 2, "the old replicas gone");
    const after = await pids("model", "Model");
    assert.equal(after.filter((p) => before.includes(p)).length, 0, "every replica is a new process");
    assert.equal(await h.predict.remote(10), 50);
  });

  test("a changed option rolls: new processes, no failed request under steady load", async () => {
    const v1 = SlowDeployment.options({ name: "Rolling", numReplicas: 2, gracefulShutdownTimeoutMs: 10_000 });
    await serve.run(v1.bind(), { name: "roll", routePrefix: "/roll" });
    const before = await pids("roll", "Rolling");
    const load = steadyLoad(`${base}/roll?ms=20`, 4);
    try {
      await serve.run(v1.options({ maxOngoingRequests: 4 }).bind(), { name: "roll", routePrefix: "/roll" });
      await waitFor(async () => (await pids("roll", "Rolling")).length === 2 && (await serve.status()).applications["roll"]?.deployments["Rolling"]?.replicas.length === 2, "the old replicas gone");
    } finally {
      const counts = await load.stop();
      assert.deepEqual([...counts.keys()], [200], `answers by status: ${JSON.stringify([...counts])}`);
      assert.ok((counts.get(200) ?? 0) > 20, `requests during the roll: ${counts.get(200)}`);
    }
    const after = await pids("roll", "Rolling");
    assert.equal(after.filter((p) => before.includes(p)).length, 0, "every replica is a new process");
  });
});
