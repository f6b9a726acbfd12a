/**
 * @lux/serve through its public API (issue 21, points 1, 3, 5 and 9's bad input): deployments
 * of classes and functions, composition by handles (a response passed un-awaited), batching,
 * status/delete/handles, bad options and a throwing constructor.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import {
  AdderDeployment,
  BatchedDeployment,
  BrokenDeployment,
  HelloDeployment,
  IngressDeployment,
  ModelDeployment,
  TripleDeployment,
} from "./fixtures/serve-apps.js";

let base = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  const s = await serve.start({ http: { port: 0 } });
  const proxies = Object.values(s.proxies);
  assert.equal(proxies.length, 1);
  base = proxies[0]?.url ?? "";
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

describe("deployments, handles and composition", () => {
  test("a class deployment bound to another: handles typed from the class, HTTP to the ingress", async () => {
    const h = await serve.run(IngressDeployment.bind(ModelDeployment.bind(3)), { name: "default", routePrefix: "/" });
    assert.equal(await h.double.remote(5), 15);
    assert.equal(await h.double.remote(2).result({ timeoutMs: 30_000 }), 6);
    const res = await fetch(`${base}/?x=4`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("x-request-id") ?? "", /.+/);
    assert.deepEqual(await res.json(), { y: 12 });
    const s = await serve.status();
    assert.equal(s.applications["default"]?.status, "RUNNING");
    assert.deepEqual(Object.keys(s.applications["default"]?.deployments ?? {}).sort(), ["Ingress", "Model"]);
    assert.equal(s.applications["default"]?.deployments["Model"]?.replicaStates["RUNNING"], 2);
  });

  test("a DeploymentResponse passed un-awaited reaches the other replica as its value", async () => {
    const adder = await serve.run(AdderDeployment.bind(), { name: "adder", routePrefix: null });
    const ingress = await serve.getAppHandle<InstanceType<typeof import("./fixtures/serve-apps.js").Ingress>>("default");
    assert.deepEqual(await ingress.chained.remote(7, adder), { sum: 22, typeOfA: "number" });
    const model = await serve.getDeploymentHandle<import("./fixtures/serve-apps.js").Model>("Model", "default");
    assert.deepEqual(await adder.add.remote(model.predict.remote(2), 10), { sum: 16, typeOfA: "number" });
  });

  test("a function deployment: h.remote(x) by handle, fn(request) over HTTP", async () => {
    const h = await serve.run(TripleDeployment.bind(), { name: "triple", routePrefix: null });
    assert.equal(await h.remote(14), 42);
    await serve.run(HelloDeployment.bind(), { name: "hello", routePrefix: "/hello" });
    assert.equal(await (await fetch(`${base}/hello/there?q=1`)).text(), "hello /hello/there");
  });

  test("result({ timeoutMs }) past its time: GetTimeoutError", async () => {
    const h = await serve.getAppHandle("default");
    const r = h.double.remote(1);
    await assert.rejects(r.result({ timeoutMs: 0 }), lux.GetTimeoutError);
    assert.equal(await r, 3);
  });
});

describe("batching", () => {
  test("concurrent calls run in batches of at most maxBatchSize; each gets its own result", async () => {
    const h = await serve.run(BatchedDeployment.bind(), { name: "batched", routePrefix: null });
    const out = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((x) => h.run.remote(x)));
    assert.deepEqual(out, [2, 4, 6, 8, 10, 12, 14, 16]);
    const sizes = await h.batchSizes.remote();
    assert.equal(sizes.reduce((a, b) => a + b, 0), 8);
    assert.ok(sizes.every((s) => s <= 4) && sizes.some((s) => s > 1), `batch sizes ${sizes.join(",")}`);
  });

  test("a wrong number of results fails every caller of the batch, naming both lengths; a throw fails only its batch", async () => {
    const h = await serve.getAppHandle<import("./fixtures/serve-apps.js").Batched>("batched");
    const wrong = await Promise.allSettled([1, 2, 3].map((x) => h.runWrong.remote(x)));
    for (const r of wrong) {
      assert.equal(r.status, "rejected");
      const cause = (r.reason as lux.TaskError).cause;
      assert.ok(cause instanceof serve.BatchSizeMismatchError, String(cause));
      assert.match(cause.message, /given 3 inputs and returned 2 results/);
    }
    const picky = await Promise.allSettled([13, 14, 1, 2].map((x) => h.runPicky.remote(x)));
    const rejected = picky.filter((r) => r.status === "rejected").length;
    assert.equal(rejected, 2);
    assert.deepEqual(picky.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<number>).value).sort(), [1, 2]);
  });
});

describe("bad input and failures", () => {
  test("options name the field: numReplicas with autoscalingConfig, minReplicas > maxReplicas, maxOngoingRequests < 1", () => {
    const optionOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof lux.InvalidOptionError, String(e));
        return e.option;
      }
      assert.fail("no error");
    };
    assert.equal(optionOf(() => serve.deployment(class A {}, { numReplicas: 2, autoscalingConfig: { maxReplicas: 3 } })), "numReplicas");
    assert.equal(optionOf(() => serve.deployment(class A {}, { autoscalingConfig: { minReplicas: 4, maxReplicas: 2 } })), "autoscalingConfig.minReplicas");
    assert.equal(optionOf(() => serve.deployment(class A {}, { maxOngoingRequests: 0 })), "maxOngoingRequests");
    assert.equal(optionOf(() => ModelDeployment.options({ maxQueuedRequests: -2 })), "maxQueuedRequests");
  });

  test("two applications on one routePrefix: InvalidOptionError naming routePrefix", async () => {
    await assert.rejects(serve.run(HelloDeployment.bind(), { name: "hello2", routePrefix: "/hello" }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "routePrefix");
  });

  test("a throwing constructor: serve.run rejects with DeploymentFailedError, the app is DEPLOY_FAILED with the cause", async () => {
    await assert.rejects(serve.run(BrokenDeployment.bind(), { name: "broken", routePrefix: "/broken" }), (e: unknown) => {
      assert.ok(e instanceof serve.DeploymentFailedError, String(e));
      assert.match(e.message, /TypeError: the weights file is missing/);
      return true;
    });
    const s = await serve.status();
    assert.equal(s.applications["broken"]?.status, "DEPLOY_FAILED");
    assert.match(s.applications["broken"]?.message ?? "", /the weights file is missing/);
    await serve.delete("broken");
  });

  test("unknown applications: ApplicationNotFoundError", async () => {
    await assert.rejects(serve.getAppHandle("nope"), serve.ApplicationNotFoundError);
    await assert.rejects(serve.delete("nope"), serve.ApplicationNotFoundError);
  });
});
