/**
 * @lux/serve's autoscaling (issue 21, point 4) with real replicas: on ongoing + queued
 * requests up and down; minReplicas 0 scales to zero and the next request waits out a cold
 * start and succeeds.
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

async function replicaCount(app: string, deployment: string): Promise<number> {
  const d = (await serve.status()).applications[app]?.deployments[deployment];
  return d?.replicaStates["RUNNING"] ?? 0;
}

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

