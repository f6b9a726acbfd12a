/**
 * @lux/serve's routing and autoscaling (issue 21, points 3 and 4) with real replicas: requests
 * spread over replicas and never above maxOngoingRequests on one; past maxQueuedRequests a
 * handle gets BackPressureError and HTTP 503; autoscaling on ongoing + queued requests up and
 * down; minReplicas 0 scales to zero and the next request waits out a cold start.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { SlowDeployment, type Slow } from "./fixtures/serve-apps.js";
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

async function replicaCount(app: string, deployment: string): Promise<number> {
  const d = (await serve.status()).applications[app]?.deployments[deployment];
  return d?.replicaStates["RUNNING"] ?? 0;
}

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

describe("autoscaling", () => {
  test("replicas follow ongoing + queued requests: up under load, down when idle", async () => {
    const h = await serve.run(
      SlowDeployment.options({
        name: "Scaled",
        maxOngoingRequests: 10,
        autoscalingConfig: { minReplicas: 1, maxReplicas: 3, targetOngoingRequests: 2, upscaleDelayMs: 0, downscaleDelayMs: 1500, lookBackPeriodMs: 1000, metricsIntervalMs: 100 },
      }).bind(),
      { name: "scaled", routePrefix: null },
    );
    assert.equal(await replicaCount("scaled", "Scaled"), 1);
    let stop = false;
    // Six requests always in flight: ceil(6 / 2) = 3 replicas.
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) await h.work.remote(100);
      }),
    );
    try {
      await waitFor(async () => (await replicaCount("scaled", "Scaled")) === 3, "3 replicas under load", 60_000, 100);
    } finally {
      stop = true;
      await load;
    }
    await waitFor(async () => (await replicaCount("scaled", "Scaled")) === 1, "back to 1 replica when idle", 60_000, 100);
    const d = (await serve.status()).applications["scaled"]?.deployments["Scaled"];
    assert.equal(d?.targetReplicas, 1);
  });

  test("minReplicas 0: scales to zero, and the next request waits out a cold start and succeeds", async () => {
    const h = await serve.run(
      SlowDeployment.options({
        name: "Zero",
        autoscalingConfig: { minReplicas: 0, maxReplicas: 2, initialReplicas: 1, targetOngoingRequests: 1, upscaleDelayMs: 0, downscaleDelayMs: 500, lookBackPeriodMs: 500, metricsIntervalMs: 100 },
      }).bind(),
      { name: "zero", routePrefix: "/zero" },
    );
    assert.ok((await h.work.remote(1)) > 0);
    await waitFor(async () => (await replicaCount("zero", "Zero")) === 0 && ((await serve.status()).applications["zero"]?.deployments["Zero"]?.replicas.length ?? 1) === 0, "zero replicas", 60_000, 100);
    assert.ok((await h.work.remote(1)) > 0, "a handle call after scaling to zero");
    await waitFor(async () => (await replicaCount("zero", "Zero")) === 0, "zero replicas again", 60_000, 100);
    const res = await fetch(`${base}/zero?ms=1`);
    assert.equal(res.status, 200, "an HTTP request after scaling to zero");
  });
});

void (null as unknown as Slow);
