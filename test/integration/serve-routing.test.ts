/**
 * @lux/serve's routing (issue 21, point 3) with real replicas: requests spread over replicas
 * and never above maxOngoingRequests on one; past maxQueuedRequests a handle gets
 * BackPressureError and HTTP 503.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { SlowDeployment } from "./fixtures/serve-apps.js";
import { waitFor } from "./helpers.js";

let base = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  const s = await serve.start({ http: { port: 0 } });
  base = Object.values(s.proxies)[0]?.url ?? "";
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

describe("routing", () => {
  test("requests spread over the replicas, never more than maxOngoingRequests on one", async () => {
    const h = await serve.run(SlowDeployment.options({ numReplicas: 3, maxOngoingRequests: 2 }).bind(), { name: "slow", routePrefix: "/slow" });
    const pids = await Promise.all(Array.from({ length: 30 }, () => h.work.remote(60)));
    assert.equal(new Set(pids).size, 3, "all three replicas served");
    // Through HTTP too (the proxy's router).
    const statuses = await Promise.all(Array.from({ length: 24 }, () => fetch(`${base}/slow?ms=60`).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([200]));
    const status = (await serve.status()).applications["slow"]?.deployments["Slow"];
    for (const r of status?.replicas ?? []) {
      const most = await lux.get((await lux.getActor<{ getMetrics(): { ongoing: number } }>(`SERVE_REPLICA::slow#Slow#${r.replicaId}`, { namespace: "serve" })).getMetrics.remote());
      assert.equal(most.ongoing, 0);
    }
    const seen = await Promise.all(Array.from({ length: 6 }, () => h.mostAtOnce.remote()));
    assert.ok(seen.every((m) => m <= 2), `most requests at once per replica: ${seen.join(",")}`);
    assert.ok(seen.some((m) => m === 2), `some replica ran 2 at once: ${seen.join(",")}`);
  });

  test("past maxQueuedRequests: BackPressureError by handle, 503 over HTTP", async () => {
    const h = await serve.run(SlowDeployment.options({ name: "Tight", numReplicas: 1, maxOngoingRequests: 1, maxQueuedRequests: 1 }).bind(), { name: "tight", routePrefix: "/tight" });
    const running = h.work.remote(1500);
    const queued = h.work.remote(10);
    await assert.rejects(h.work.remote(10).result(), (e: unknown) => e instanceof serve.BackPressureError && e.maxQueuedRequests === 1);
    assert.ok((await running) > 0);
    assert.ok((await queued) > 0);
    // The proxy has its own queue: one running, one waiting, the third refused.
    const first = fetch(`${base}/tight?ms=1500`);
    await waitFor(async () => (await h.mostAtOnce.remote()) >= 1, "the first HTTP request to run");
    const second = fetch(`${base}/tight?ms=10`);
    let third: Response | undefined;
    await waitFor(async () => {
      third = await fetch(`${base}/tight?ms=10`);
      return third.status === 503;
    }, "a 503 while the replica is busy and one request waits", 10_000, 50);
    const body = (await (third as Response).json()) as { error: string };
    assert.equal(body.error, "BackPressureError");
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
  });
});
