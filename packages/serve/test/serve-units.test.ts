/**
 * The parts of @lux/serve that need no cluster: the router (power of two choices within
 * maxOngoingRequests, its queue and back pressure, dead replicas), autoscaling decisions with
 * their delays and factors, batching on a fake clock, long-poll versions and acknowledgements,
 * options and config-file checks, route matching.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "@lux/common";
import { BackPressureError, BatchSizeMismatchError, InvalidOptionError, InvalidServeConfigError, type ActorHandle } from "lux";
import { DemandSamples, decideReplicas, desiredReplicas, newScalingState } from "../src/autoscaling.js";
import { batch } from "../src/batch.js";
import { parseServeConfig } from "../src/config-file.js";
import { LongPollHost } from "../src/long-poll-host.js";
import { checkDeploymentOptions, compileAutoscaling } from "../src/options.js";
import { matchRoute } from "../src/proxy-server.js";
import { Router, type ReplicaSlot } from "../src/router.js";
import type { DeploymentRoutes } from "../src/specs.js";

const replicas = (n: number): DeploymentRoutes["replicas"] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${i}`, actor: {} as ActorHandle<unknown>, nodeId: "n" }));

function router(routes: Partial<DeploymentRoutes> & { replicas: DeploymentRoutes["replicas"] }, random = Math.random) {
  const events = { demands: 0, died: [] as string[] };
  const r = new Router("app", "d", { demand: () => events.demands++, replicaDied: (_r, id) => events.died.push(id) }, random);
  r.update({ maxOngoingRequests: 2, maxQueuedRequests: -1, ...routes });
  return { r, events };
}

describe("router", () => {
  test("never more than maxOngoingRequests on a replica; the less busy of two; the rest wait in order", async () => {
    const { r } = router({ replicas: replicas(3) });
    const taken = Array.from({ length: 6 }, () => r.acquire(0) as ReplicaSlot);
    const per = new Map<string, number>();
    for (const s of taken) per.set(s.ref.id, (per.get(s.ref.id) ?? 0) + 1);
    assert.deepEqual([...per.values()], [2, 2, 2]);
    const waiting = [r.acquire(0), r.acquire(0)] as Promise<ReplicaSlot>[];
    assert.ok(waiting.every((w) => w instanceof Promise));
    assert.equal(r.load, 8);
    r.release(taken[0] as ReplicaSlot);
    assert.equal((await (waiting[0] as Promise<ReplicaSlot>)).ref.id, (taken[0] as ReplicaSlot).ref.id);
  });

  test("power of two choices picks the replica with fewer requests", () => {
    const { r } = router({ replicas: replicas(2), maxOngoingRequests: 10 });
    const first = r.acquire(0) as ReplicaSlot;
    for (let i = 0; i < 20; i++) {
      const s = r.acquire(0) as ReplicaSlot;
      r.release(s);
      assert.notEqual(s.ref.id, first.ref.id, "the idle replica, not the busy one");
    }
  });

  test("past maxQueuedRequests: BackPressureError; a cold start (no replica) reports demand", async () => {
    const { r, events } = router({ replicas: [], maxQueuedRequests: 1 });
    const waiting = r.acquire(0) as Promise<ReplicaSlot>;
    assert.equal(events.demands, 1);
    assert.throws(() => r.acquire(0), (e: unknown) => e instanceof BackPressureError && e.maxQueuedRequests === 1);
    r.update({ replicas: replicas(1), maxOngoingRequests: 1, maxQueuedRequests: 1 });
    assert.equal((await waiting).ref.id, "r0");
  });

  test("a dead replica gets no more requests; the controller is told once", () => {
    const { r, events } = router({ replicas: replicas(2), maxOngoingRequests: 5 });
    const s = r.acquire(0) as ReplicaSlot;
    r.replicaDied(s);
    r.replicaDied(s);
    r.release(s);
    assert.deepEqual(events.died, [s.ref.id]);
    for (let i = 0; i < 5; i++) assert.notEqual((r.acquire(0) as ReplicaSlot).ref.id, s.ref.id);
    // The controller's routes may still list it for a moment: it stays out.
    r.update({ replicas: replicas(2), maxOngoingRequests: 20, maxQueuedRequests: -1 });
    for (let i = 0; i < 5; i++) assert.notEqual((r.acquire(0) as ReplicaSlot).ref.id, s.ref.id);
  });
});

describe("autoscaling", () => {
  const config = compileAutoscaling({ minReplicas: 0, maxReplicas: 5, targetOngoingRequests: 2, upscaleDelayMs: 1000, downscaleDelayMs: 5000 });

  test("desired replicas: demand / target within [min, max], the step scaled by the factors", () => {
    assert.equal(desiredReplicas(config, 1, 7), 4);
    assert.equal(desiredReplicas(config, 1, 100), 5);
    assert.equal(desiredReplicas(config, 3, 0), 0);
    assert.equal(desiredReplicas({ ...config, upscalingFactor: 0.5 }, 1, 9), 3);
    assert.equal(desiredReplicas({ ...config, downscalingFactor: 0.5 }, 4, 0), 2);
    assert.equal(desiredReplicas({ ...config, upscalingFactor: 0.01 }, 0, 1), 1);
  });

  test("up after upscaleDelayMs of demand, down after downscaleDelayMs; from zero at once", () => {
    const state = newScalingState();
    assert.equal(decideReplicas(config, state, 0, 1, 8), 1);
    assert.equal(decideReplicas(config, state, 999, 1, 8), 1);
    assert.equal(decideReplicas(config, state, 1000, 1, 8), 4);
    assert.equal(decideReplicas(config, state, 1100, 4, 2), 4);
    assert.equal(decideReplicas(config, state, 3000, 4, 8), 4, "demand back up: the down timer starts over");
    assert.equal(decideReplicas(config, state, 3100, 4, 2), 4);
    assert.equal(decideReplicas(config, state, 8100, 4, 2), 1);
    assert.equal(decideReplicas(config, newScalingState(), 0, 0, 1), 1);
  });

  test("demand: each router's mean over the look-back, summed; old samples dropped", () => {
    const d = new DemandSamples();
    d.record("a", 0, 4);
    d.record("a", 500, 2);
    d.record("b", 900, 5);
    assert.equal(d.average(1000, 1000), 8);
    assert.equal(d.average(1400, 1000), 7);
    assert.equal(d.average(5000, 1000), 0);
  });
});

describe("batch", () => {
  test("a full batch runs at once; a partial one after batchWaitTimeoutMs", async () => {
    const clock = new FakeClock();
    const sizes: number[] = [];
    const double = batch(async (xs: number[]) => (sizes.push(xs.length), xs.map((x) => x * 2)), { maxBatchSize: 3, batchWaitTimeoutMs: 50, clock });
    const full = await Promise.all([1, 2, 3].map((x) => double(x)));
    assert.deepEqual(full, [2, 4, 6]);
    const partial = [4, 5].map((x) => double(x));
    await Promise.resolve();
    assert.deepEqual(sizes, [3]);
    clock.advance(50);
    assert.deepEqual(await Promise.all(partial), [8, 10]);
    assert.deepEqual(sizes, [3, 2]);
  });

  test("a wrong number of results fails every caller naming both lengths; a throw fails only its batch", async () => {
    const clock = new FakeClock();
    const wrong = batch(async (xs: number[]) => xs.slice(1), { maxBatchSize: 2, clock });
    const results = await Promise.allSettled([wrong(1), wrong(2)]);
    for (const r of results) {
      assert.ok(r.status === "rejected" && r.reason instanceof BatchSizeMismatchError);
      assert.equal(r.reason.inputs, 2);
      assert.equal(r.reason.outputs, 1);
    }
    const picky = batch(async (xs: number[]) => {
      if (xs.includes(13)) throw new RangeError("13");
      return xs;
    }, { maxBatchSize: 2, clock });
    const settled = await Promise.allSettled([picky(13), picky(1), picky(2), picky(3)]);
    assert.deepEqual(settled.map((s) => s.status), ["rejected", "rejected", "fulfilled", "fulfilled"]);
  });
});

describe("long poll", () => {
  test("answers what a client knows an older version of, else waits for a change; versions only grow", async () => {
    const clock = new FakeClock(1_000);
    const host = new LongPollHost(clock);
    const v1 = host.set("k", "one");
    assert.deepEqual(await host.listen("c", { k: -1 }, 1000), { k: { version: v1, value: "one" } });
    const waiting = host.listen("c", { k: v1 }, 30_000);
    const v2 = host.set("k", "two");
    assert.ok(v2 > v1);
    assert.deepEqual(await waiting, { k: { version: v2, value: "two" } });
    const timedOut = host.listen("c", { k: v2 }, 500);
    clock.advance(500);
    assert.deepEqual(await timedOut, {});
    // A new host (a restarted controller) gives later versions.
    assert.ok(new LongPollHost(clock).set("k", "three") > v2);
  });

  test("acknowledged: every routing client has the version (idle ones are not waited for)", () => {
    const clock = new FakeClock(1_000);
    const host = new LongPollHost(clock);
    const v1 = host.set("k", 1);
    void host.listen("busy", { k: v1 }, 30_000);
    const v2 = host.set("k", 2);
    assert.equal(host.acknowledged("k", v2), false, "a waiting client was answered but has not come back");
    void host.listen("busy", { k: v2 }, 30_000);
    assert.equal(host.acknowledged("k", v2), true);
    void host.listen("idle", { k: v1 }, 0);
    assert.equal(host.acknowledged("k", v2), false);
    clock.advance(2_000);
    assert.equal(host.acknowledged("k", v2), true);
    host.close();
  });
});

describe("checks", () => {
  test("deployment options name the field", () => {
    const option = (o: object): string => {
      try {
        checkDeploymentOptions(o);
      } catch (e) {
        assert.ok(e instanceof InvalidOptionError);
        return e.option;
      }
      return "";
    };
    assert.equal(option({ numReplica: 2 }), "numReplica");
    assert.equal(option({ numReplicas: 1, autoscalingConfig: {} }), "numReplicas");
    assert.equal(option({ autoscalingConfig: { minReplicas: 3, maxReplicas: 1 } }), "autoscalingConfig.minReplicas");
    assert.equal(option({ autoscalingConfig: { targetOngoingRequests: 0 } }), "autoscalingConfig.targetOngoingRequests");
    assert.equal(option({ maxOngoingRequests: 0 }), "maxOngoingRequests");
    assert.equal(option({ actorOptions: { maxRestarts: 3 } }), "actorOptions.maxRestarts");
    assert.equal(option({ numReplicas: 2, maxQueuedRequests: -1, userConfig: { a: 1 } }), "");
  });

  test("config files: unknown keys with path, line and the nearest key; wrong values; duplicate prefixes", () => {
    const problem = (text: string): InvalidServeConfigError => {
      try {
        parseServeConfig(text, "serve.yaml");
      } catch (e) {
        assert.ok(e instanceof InvalidServeConfigError, String(e));
        return e;
      }
      assert.fail("no error");
    };
    const typo = problem("applications:\n  - name: a\n    importPath: ./a.ts:app\n    deployments:\n      - name: M\n        autoscalingConfig: { maxReplica: 3 }\n");
    assert.equal(typo.path, "applications[0].deployments[0].autoscalingConfig.maxReplica");
    assert.equal(typo.line, 6);
    assert.match(typo.message, /did you mean "maxReplicas"/);
    assert.equal(problem("htp: {}\napplications: []\n").path, "htp");
    assert.equal(problem("applications:\n  - importPath: ./a.ts:app\n    routePrefix: api\n").path, "applications[0].routePrefix");
    assert.equal(problem("applications:\n  - importPath: ./a.ts\n    deployments:\n      - { name: M, numReplicas: -1 }\n").path, "applications[0].deployments[0].numReplicas");
    assert.equal(problem("applications:\n  - { name: a, importPath: ./a.ts }\n  - { name: b, importPath: ./b.ts }\n").path, "applications[1].routePrefix");
    const ok = parseServeConfig("applications:\n  - importPath: sub/app.ts:built\n    args: { n: 1 }\n", "/srv/cfg/serve.yaml");
    assert.equal(ok.applications[0]?.module, "/srv/cfg/sub/app.ts");
    assert.equal(ok.applications[0]?.exportName, "built");
    assert.equal(ok.applications[0]?.name, "default");
    // The certificate files of `http` are relative to the file's folder, as importPath is.
    const tls = parseServeConfig("http: { sslCertfile: tls/p.crt, sslKeyfile: /etc/p.key }\napplications:\n  - importPath: a.ts\n", "/srv/cfg/serve.yaml");
    assert.deepEqual(tls.http, { sslCertfile: "/srv/cfg/tls/p.crt", sslKeyfile: "/etc/p.key" });
    assert.equal(problem("http: { sslCert: x }\napplications:\n  - importPath: a.ts\n").path, "http.sslCert");
  });

  test("routes: the longest prefix at a path-segment boundary", () => {
    const routes = [
      { prefix: "/", app: "root", ingress: "R" },
      { prefix: "/api", app: "api", ingress: "A" },
      { prefix: "/api/v2", app: "v2", ingress: "B" },
    ];
    assert.equal(matchRoute(routes, "/api/v2/x")?.app, "v2");
    assert.equal(matchRoute(routes, "/api/v20")?.app, "api");
    assert.equal(matchRoute(routes, "/apix")?.app, "root");
    assert.equal(matchRoute(routes.slice(1), "/other"), undefined);
  });
});
