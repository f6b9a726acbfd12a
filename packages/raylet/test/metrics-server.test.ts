/**
 * The node's Prometheus endpoint on loopback: /metrics only with the cluster token (401 and no
 * data otherwise), /healthz without it, 404 for other paths, 405 for other methods.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MetricsServer } from "../src/metrics-server.js";

describe("MetricsServer", () => {
  let server: MetricsServer;
  let scrapes = 0;
  before(async () => {
    server = await MetricsServer.listen({ host: "127.0.0.1", port: 0, token: "s3cret", text: () => `lux_up ${++scrapes}\n` });
  });
  after(() => server.close());

  const get = (route: string, init: RequestInit = {}): Promise<Response> => fetch(`http://${server.address}${route}`, init);

  it("serves /metrics with the bearer token, as Prometheus text", async () => {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const r = await get("/metrics", { headers: { authorization: "Bearer s3cret" } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(await r.text(), "lux_up 1\n");
  });

  it("answers 401 without data to a missing or wrong token, for every path", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Bearer s3cre" }, { authorization: "Basic s3cret" }, { authorization: "Bearer " }]) {
      for (const route of ["/metrics", "/other"]) {
        const r = await get(route, { headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.doesNotMatch(await r.text(), /lux_up/);
      }
    }
    assert.equal(scrapes, 1, "the metrics were never computed for them");
  });

  it("answers /healthz without the token, 404 for other paths and 405 for other methods", async () => {
    assert.equal((await get("/healthz")).status, 200);
    assert.equal((await get("/nope", { headers: { authorization: "Bearer s3cret" } })).status, 404);
    assert.equal((await get("/metrics", { method: "POST", headers: { authorization: "Bearer s3cret" } })).status, 405);
  });
});

describe("MetricsServer with public metrics (--metrics-public)", () => {
  it("serves /metrics without the token, read-only, and opens nothing else", async () => {
    const server = await MetricsServer.listen({ host: "127.0.0.1", port: 0, token: "s3cret", public: true, text: () => "lux_up 1\n" });
    try {
      const get = (route: string, init: RequestInit = {}): Promise<Response> => fetch(`http://${server.address}${route}`, init);
      const open = await get("/metrics");
      assert.equal(open.status, 200);
      assert.equal(await open.text(), "lux_up 1\n");
      assert.equal((await get("/metrics", { method: "HEAD" })).status, 200);
      for (const method of ["POST", "PUT", "DELETE", "PATCH"]) assert.equal((await get("/metrics", { method })).status, 405, method);
      for (const route of ["/other", "/metrics/x", "/", "/metrics/../healthz/../other"]) assert.equal((await get(route)).status, 401, route);
    } finally {
      await server.close();
    }
  });
});

describe("MetricsServer on a port in use", () => {
  it("fails naming the port and how to choose another", async () => {
    const first = await MetricsServer.listen({ host: "127.0.0.1", port: 0, token: "t", text: () => "" });
    try {
      const port = Number(first.address.split(":")[1]);
      await assert.rejects(MetricsServer.listen({ host: "127.0.0.1", port, token: "t", text: () => "" }), new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*--metrics-port`));
    } finally {
      await first.close();
    }
  });
});
