/**
 * @lux/serve's controller SIGKILLed (issue 21, point 8), on a two-node LocalCluster: the
 * proxies serve on while it is down, Lux restarts it, it reloads its state from the KV store
 * and keeps the same replicas, and it reconciles again.
 */
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import { SlowDeployment } from "./fixtures/serve-apps.js";
import { waitFor } from "./helpers.js";
import { httpStatus, load, running, twoNodeServe } from "./fixtures/serve-two-nodes.js";

const setup = twoNodeServe();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the controller killed", () => {
  test("proxies serve on while it is down; restarted, it reloads its state and keeps the replicas", async () => {
    await serve.run(SlowDeployment.options({ numReplicas: 2 }).bind(), { name: "slow", routePrefix: "/slow" });
    const before = await serve.status();
    const controllerPid = before.controller?.pid as number;
    const replicasBefore = (await running("slow", "Slow")).map((r) => r.pid).sort();
    const traffic = load(httpStatus(`${setup.urls()[1]}/slow?ms=20`), 3);
    let counts: Map<number | string, number>;
    try {
      process.kill(controllerPid, "SIGKILL");
      await waitFor(
        async () => {
          try {
            const s = await serve.status();
            return s.controller !== undefined && s.controller.pid !== controllerPid && s.applications["slow"]?.status === "RUNNING";
          } catch {
            return false;
          }
        },
        "the controller back with its applications",
        60_000,
        200,
      );
    } finally {
      counts = await traffic.stop();
    }
    assert.deepEqual([...counts.keys()], [200], JSON.stringify([...counts]));
    assert.deepEqual((await running("slow", "Slow")).map((r) => r.pid).sort(), replicasBefore);
    const after = await serve.status();
    assert.deepEqual(Object.keys(after.applications).sort(), Object.keys(before.applications).sort());
    // It still reconciles: a redeploy through the new controller works.
    const h = await serve.run(SlowDeployment.options({ numReplicas: 3 }).bind(), { name: "slow", routePrefix: "/slow" });
    assert.equal((await running("slow", "Slow")).length, 3);
    assert.ok((await h.pid.remote()) > 0);
  });

  test("a replica its checkpoint missed (the controller died before saving it) is ended by the next controller, not leaked", async () => {
    await serve.run(SlowDeployment.options({ numReplicas: 2 }).bind(), { name: "orphan", routePrefix: "/orphan" });
    const [kept, dropped] = await running("orphan", "Slow");
    assert.ok(kept !== undefined && dropped !== undefined);
    // The state as a controller that died before saving `dropped` would have left it. The
    // controller is stopped first: a save of its own (a replica's state changing) after the edit
    // would put `dropped` back. A save already sent lands before the get's round trip below.
    const controllerPid = (await serve.status()).controller?.pid as number;
    process.kill(controllerPid, "SIGSTOP");
    const key = "serve:controller-state";
    const saved = deserialize((await lux.util.kv.get(key, { namespace: "serve" })) as Uint8Array) as {
      apps: { spec: { name: string }; deployments: { replicas: { id: string }[] }[] }[];
    };
    for (const app of saved.apps) for (const d of app.deployments) d.replicas = d.replicas.filter((r) => r.id !== dropped.id);
    await lux.util.kv.put(key, serialize(saved), { namespace: "serve" });
    process.kill(controllerPid, "SIGKILL");
    await waitFor(() => !alive(dropped.pid), "the replica no controller knows of ended", 60_000, 200);
    await waitFor(
      async () => {
        const s = await serve.status().catch(() => undefined);
        return s?.controller !== undefined && s.controller.pid !== controllerPid && s.applications["orphan"]?.status === "RUNNING" && (await running("orphan", "Slow")).length === 2;
      },
      "the controller back, with two replicas again",
      60_000,
      200,
    );
    const pids = (await running("orphan", "Slow")).map((r) => r.pid);
    assert.ok(pids.includes(kept.pid), `the replica in the checkpoint is kept: ${JSON.stringify(pids)}`);
    assert.ok(!pids.includes(dropped.pid));
  });
});
