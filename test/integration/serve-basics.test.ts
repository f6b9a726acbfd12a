/**
 * @lux/serve through its public API and HTTP (issue 21, points 1, 2, 3, 5, 6 and 9's bad
 * input): deployments of classes and functions, composition by handles (a response passed
 * un-awaited), the proxy's answers and errors, fastify ingress routes, streaming by handle
 * and HTTP (a client that leaves ends the generator), batching, status/delete/handles.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import {
  AdderDeployment,
  AnswersDeployment,
  ApiDeployment,
  BatchedDeployment,
  BrokenDeployment,
  HelloDeployment,
  IngressDeployment,
  ModelDeployment,
  StreamerDeployment,
  TripleDeployment,
} from "./fixtures/serve-apps.js";
import { collect, waitFor } from "./helpers.js";

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

describe("HTTP", () => {
  test("answers: a Response as is, a string as text, bytes as bytes, anything else as JSON; request bodies", async () => {
    await serve.run(AnswersDeployment.bind(), { name: "answers", routePrefix: "/answers" });
    const made = await fetch(`${base}/answers/response`);
    assert.equal(made.status, 201);
    assert.equal(made.headers.get("x-made"), "yes");
    assert.equal(await made.text(), "made");
    const text = await fetch(`${base}/answers/text`);
    assert.match(text.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await text.text(), "plain text");
    const bytes = await fetch(`${base}/answers/bytes`);
    assert.equal(bytes.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [1, 2, 3]);
    assert.deepEqual(await (await fetch(`${base}/answers/json`, { method: "DELETE" })).json(), { a: 1, method: "DELETE" });
    const echo = await fetch(`${base}/answers/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"k":[1,2]}' });
    assert.deepEqual(await echo.json(), { body: '{"k":[1,2]}', type: "application/json" });
  });

  test("a throw is 500 { error, message, requestId } without the stack; the request id is the client's", async () => {
    const res = await fetch(`${base}/answers/throw`, { headers: { "x-request-id": "req-42" } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("x-request-id"), "req-42");
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(body, { error: "RangeError", message: "no such thing", requestId: "req-42" });
  });

  test("longest routePrefix wins; /-/routes and /-/healthz; an unknown path is 404", async () => {
    assert.deepEqual(await (await fetch(`${base}/answers/deeper/path`)).json(), { path: "/answers/deeper/path" });
    assert.deepEqual(await (await fetch(`${base}/hello`)).text(), "hello /hello");
    const routes = (await (await fetch(`${base}/-/routes`)).json()) as Record<string, string>;
    assert.deepEqual(routes, { "/": "default", "/hello": "hello", "/answers": "answers" });
    const health = await fetch(`${base}/-/healthz`);
    assert.equal(health.status, 200);
    await serve.delete("default");
    const missing = await fetch(`${base}/x`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "Path '/x' not found");
    await serve.run(IngressDeployment.bind(ModelDeployment.bind(3)), { name: "default", routePrefix: "/" });
  });

  test("serve.ingress: fastify routes below the routePrefix, with the deployment's instance", async () => {
    await serve.run(ApiDeployment.bind(ModelDeployment.bind(10)), { name: "api", routePrefix: "/api" });
    assert.deepEqual(await (await fetch(`${base}/api/items/7`)).json(), { id: "7" });
    const res = await fetch(`${base}/api/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ x: 4 }) });
    assert.deepEqual(await res.json(), { y: 40 });
    assert.equal((await fetch(`${base}/api/nothing`)).status, 404);
  });
});

describe("streaming", () => {
  test("by handle: options({ stream: true }) gives an AsyncIterable of what the method yields", async () => {
    const h = await serve.run(StreamerDeployment.bind(), { name: "stream", routePrefix: "/stream" });
    assert.deepEqual(await collect(h.options({ stream: true }).numbers.remote(4)), [0, 1, 2, 3]);
    const partial: number[] = [];
    for await (const n of h.options({ stream: true }).numbers.remote(100)) {
      partial.push(n);
      if (n === 2) break;
    }
    assert.deepEqual(partial, [0, 1, 2]);
  });

  test("over HTTP: chunked, or Server-Sent Events when asked", async () => {
    const chunked = await fetch(`${base}/answers/stream`);
    assert.equal(chunked.headers.get("transfer-encoding"), "chunked");
    assert.equal(await chunked.text(), "part 1\npart 2\npart 3\n");
    const sse = await fetch(`${base}/answers/stream`, { headers: { accept: "text/event-stream" } });
    assert.equal(sse.headers.get("content-type"), "text/event-stream");
    assert.equal(await sse.text(), "data: part 1\ndata: \n\ndata: part 2\ndata: \n\ndata: part 3\ndata: \n\n");
  });

  test("a client that disconnects ends the replica's generator (its finally runs)", async () => {
    const h = await serve.getAppHandle<import("./fixtures/serve-apps.js").Streamer>("stream");
    const before = await h.counts.remote();
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/stream`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e)));
    });
    await waitFor(async () => (await h.counts.remote()).finished === before.finished + 1, "the generator's finally after the client left");
    assert.equal((await h.counts.remote()).started, before.started + 1);
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
