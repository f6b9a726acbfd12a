/**
 * @lux/serve under faults, on a two-node LocalCluster (issue 21, points 2 and 9): a proxy on
 * each node; a replica SIGKILLed under load fails only the requests it was running (502 over
 * HTTP, ActorDiedError by handle), those waiting go to the other replica, and the replica
 * count comes back.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { SlowDeployment } from "./fixtures/serve-apps.js";
import { waitFor } from "./helpers.js";
import { httpStatus, load, running, twoNodeServe } from "./fixtures/serve-two-nodes.js";

const setup = twoNodeServe();

describe("proxies", () => {
  test("one proxy per node, each serving every application", async () => {
    assert.equal(setup.urls().length, 2);
    await serve.run(SlowDeployment.options({ numReplicas: 2 }).bind(), { name: "slow", routePrefix: "/slow" });
    for (const url of setup.urls()) {
      const res = await fetch(`${url}/slow?ms=1`);
      assert.equal(res.status, 200);
    }
    const proxies = Object.values((await serve.status()).proxies);
    assert.equal(new Set(proxies.map((p) => p.nodeId)).size, 2);
    assert.ok(proxies.every((p) => p.status === "HEALTHY"));
  });
});

describe("a replica killed under load", () => {
  test("over HTTP: only what it was running fails (502), the rest goes to the other replica; the count comes back", async () => {
    await serve.run(SlowDeployment.options({ name: "Victim", numReplicas: 2, maxOngoingRequests: 1, healthCheckPeriodMs: 500 }).bind(), { name: "victim", routePrefix: "/victim" });
    const [victim] = await running("victim", "Victim");
    const traffic = load(httpStatus(`${setup.urls()[0]}/victim?ms=150`), 6);
    let counts: Map<number | string, number>;
    try {
      await waitFor(async () => (await fetch(`${setup.urls()[1]}/-/healthz`)).ok, "traffic going");
      process.kill(victim?.pid as number, "SIGKILL");
      await waitFor(async () => (await running("victim", "Victim")).length === 2 && !(await running("victim", "Victim")).some((r) => r.pid === victim?.pid), "a replacement running", 60_000, 100);
    } finally {
      counts = await traffic.stop();
    }
    const statuses = [...counts.keys()].sort();
    assert.ok(statuses.every((s) => s === 200 || s === 502), `statuses: ${JSON.stringify([...counts])}`);
    // The proxy's router had at most maxOngoingRequests (1) on the killed replica; the 5 waiting went elsewhere.
    assert.ok((counts.get(502) ?? 0) <= 1, `502s: ${counts.get(502)}`);
    assert.ok((counts.get(200) ?? 0) > 10);
  });

  test("by handle: ActorDiedError for what it was running, success for the rest", async () => {
    const h = await serve.getAppHandle("victim");
    const [victim] = await running("victim", "Victim");
    const traffic = load(
      () =>
        h.work.remote(150).then(
          () => "ok",
          (e: unknown) => (e instanceof lux.ActorDiedError ? "died" : `other: ${String(e)}`),
        ),
      6,
    );
    let counts: Map<number | string, number>;
    try {
      await waitFor(async () => (await h.mostAtOnce.remote()) >= 1, "calls going");
      process.kill(victim?.pid as number, "SIGKILL");
      await waitFor(async () => (await running("victim", "Victim")).length === 2 && !(await running("victim", "Victim")).some((r) => r.pid === victim?.pid), "a replacement running", 60_000, 100);
    } finally {
      counts = await traffic.stop();
    }
    assert.ok([...counts.keys()].every((k) => k === "ok" || k === "died"), JSON.stringify([...counts]));
    assert.ok((counts.get("died") ?? 0) <= 2, `died: ${counts.get("died")}`);
  });
});
