/**
 * @lux/serve's health checks (issue 21, point 8): a failing or slow checkHealth() gets its
 * replica replaced, and it gets no traffic meanwhile; the application is UNHEALTHY until then.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { ConfiguredDeployment, type Configured } from "./fixtures/serve-apps.js";
import { waitFor } from "./helpers.js";

before(async () => {
  await lux.init({ numCpus: 4 });
  await serve.start({ http: { port: 0 } });
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

async function pids(app: string, deployment: string): Promise<number[]> {
  const d = (await serve.status()).applications[app]?.deployments[deployment];
  return (d?.replicas ?? []).filter((r) => r.state === "RUNNING").map((r) => r.pid as number).sort();
}

describe("health checks", () => {
  for (const mode of ["fail", "hang"] as const) {
    test(`a checkHealth() that ${mode === "fail" ? "throws" : "is slower than healthCheckTimeoutMs"}: the replica is replaced, with no traffic meanwhile`, async () => {
      const app = `health-${mode}`;
      const h = await serve.run(
        ConfiguredDeployment.options({ name: "Checked", numReplicas: 2, healthCheckPeriodMs: 200, healthCheckTimeoutMs: 1000 }).bind(),
        { name: app, routePrefix: null },
      );
      const before = await pids(app, "Checked");
      const sick = await h.setHealth.remote(mode);
      await waitFor(async () => !(await pids(app, "Checked")).includes(sick), "the sick replica out of the routes", 30_000, 50);
      // From now on nothing reaches it: every answer comes from the other replicas.
      const served = await Promise.all(Array.from({ length: 20 }, () => h.info.remote()));
      assert.ok(served.every((s) => s.pid !== sick), "no request reached the unhealthy replica");
      await waitFor(async () => (await pids(app, "Checked")).length === 2, "a replacement running", 60_000, 100);
      const after = await pids(app, "Checked");
      assert.ok(!after.includes(sick));
      assert.ok(after.some((p) => before.includes(p) && p !== sick), "the healthy replica stayed");
      await waitFor(async () => (await serve.status()).applications[app]?.status === "RUNNING", "the app RUNNING again");
    });
  }

  test("an UNHEALTHY status while a replica is being replaced", async () => {
    const h = await serve.getAppHandle<Configured>("health-fail");
    await h.setHealth.remote("fail");
    await waitFor(async () => (await serve.status()).applications["health-fail"]?.status === "UNHEALTHY", "UNHEALTHY", 30_000, 25);
    await waitFor(async () => (await serve.status()).applications["health-fail"]?.status === "RUNNING", "RUNNING after the replacement", 60_000, 100);
  });
});
