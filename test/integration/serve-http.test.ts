/**
 * @lux/serve over HTTP (issue 21, points 2 and 6): the proxy's answers and errors (408 past
 * http.requestTimeoutMs), longest
 * routePrefix, /-/routes and /-/healthz, fastify ingress routes, streaming by handle and over
 * HTTP (chunked, Server-Sent Events; a client that leaves ends the generator).
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import * as serve from "@lux/serve";
import {
  AnswersDeployment,
  ApiDeployment,
  HelloDeployment,
  IngressDeployment,
  ModelDeployment,
  SlowDeployment,
  StreamerDeployment,
} from "./fixtures/serve-apps.js";
import { collect, waitFor } from "./helpers.js";

let base = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  const s = await serve.start({ http: { port: 0, requestTimeoutMs: 8_000 } });
  const proxies = Object.values(s.proxies);
  assert.equal(proxies.length, 1);
  base = proxies[0]?.url ?? "";
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
});

after(async () => {
  await serve.shutdown();
  await lux.shutdown();
});

describe("HTTP", () => {
  before(async () => {
    await serve.run(IngressDeployment.bind(ModelDeployment.options({ numReplicas: 1 }).bind(3)), { name: "default", routePrefix: "/" });
    await serve.run(HelloDeployment.bind(), { name: "hello", routePrefix: "/hello" });
  });

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
    await serve.run(IngressDeployment.bind(ModelDeployment.options({ numReplicas: 1 }).bind(3)), { name: "default", routePrefix: "/" });
  });

  test("serve.ingress: fastify routes below the routePrefix, with the deployment's instance", async () => {
    await serve.run(ApiDeployment.bind(ModelDeployment.options({ numReplicas: 1 }).bind(10)), { name: "api", routePrefix: "/api" });
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

test("past http.requestTimeoutMs: 408 { error: RequestTimeout }, and the replica's slot is given back", async () => {
  await serve.run(SlowDeployment.options({ name: "Late", maxOngoingRequests: 1 }).bind(), { name: "late", routePrefix: "/late" });
  const res = await fetch(`${base}/late?ms=10000`);
  assert.equal(res.status, 408);
  assert.equal(((await res.json()) as { error: string }).error, "RequestTimeout");
  assert.equal((await fetch(`${base}/late?ms=1`)).status, 200);
});
