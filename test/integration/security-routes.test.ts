/**
 * Issue 17 point 5: docs/security.md lists every route of the head's HTTP server with its
 * auth, and only the allowlist is open. The routes are read from the running server: the one
 * the dashboard process runs (createHeadServer, as main.ts builds it), listening on loopback
 * against a LocalCluster. Each is then asked over HTTP without credentials, of that server and
 * of the cluster's own dashboard process: a route the doc calls "token" must refuse (401 with
 * `WWW-Authenticate`), a route it calls "none" must be on the server's allowlist and answer.
 * A raylet's metrics port is checked against its own table the same way.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { OPEN_ROUTES, createHeadServer, serverRoutes, type HeadServer } from "@lux/dashboard";
import { connectControlService } from "@lux/launcher";
import { root, withCluster } from "./helpers.js";

interface DocRoute {
  method: string;
  route: string;
  auth: string;
}

/** The rows of the table under `heading` in docs/security.md. */
function docTable(heading: string): DocRoute[] {
  const text = fs.readFileSync(path.join(root, "docs/security.md"), "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/security.md has a section "${heading}"`);
  const section = text.slice(start + heading.length + 5).split("\n## ")[0] as string;
  const rows: DocRoute[] = [];
  for (const line of section.split("\n")) {
    const m = /^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([^|]+) \|/.exec(line);
    if (m !== null) rows.push({ method: m[1] as string, route: m[2] as string, auth: (m[3] as string).trim() });
  }
  return rows;
}

/** A path that the route pattern matches. */
function samplePath(route: string): string {
  return route
    .replace(":kind", "tasks")
    .replace(":id", "x")
    .replace(":file", "favicon.svg")
    .replace("*", "x");
}

/** What a request without credentials gets: whether it was refused for want of the token. */
async function refusedWithoutToken(base: string, method: string, route: string): Promise<boolean> {
  const res = await fetch(`${base}${samplePath(route)}`, {
    method,
    redirect: "manual",
    ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}),
  });
  await res.body?.cancel();
  return res.status === 401 && res.headers.get("www-authenticate") === 'Bearer realm="lux"';
}

describe("docs/security.md and the routes of the running servers", () => {
  const setup = withCluster({ head: { numCpus: 1 }, dashboard: true }, async () => undefined);
  let head: HeadServer;
  let base = "";

  before(async () => {
    head = await createHeadServer({ token: setup.cluster.token, gcsAddress: setup.cluster.address, bindHost: "127.0.0.1", log: { warn: () => undefined } });
    base = await head.app.listen({ host: "127.0.0.1", port: 0 });
  });
  after(() => head?.close());

  it("lists every route of the head's HTTP server with its auth, and opens only the allowlist", async () => {
    const served = serverRoutes(head.app);
    // HEAD is answered as GET: the doc lists the GET.
    const routes = [...new Set(served.map((r) => `${r.method === "HEAD" ? "GET" : r.method} ${r.url}`))];
    assert.ok(routes.length >= 30, `the server's routes: ${routes.join(", ")}`);
    for (const r of served.filter((s) => s.method === "HEAD")) assert.ok(served.some((s) => s.method === "GET" && s.url === r.url), `HEAD ${r.url} has its GET`);
    const doc = docTable("Routes of the head's HTTP server");
    const documented = new Map(doc.map((d) => [`${d.method} ${d.route}`, d.auth]));
    const missing = routes.filter((r) => !documented.has(r));
    assert.deepEqual(missing, [], "routes missing from docs/security.md");
    const stale = [...documented.keys()].filter((r) => !routes.includes(r));
    assert.deepEqual(stale, [], "docs/security.md lists routes the server does not have");

    for (const key of routes) {
      const [method, route] = key.split(" ") as [string, string];
      const auth = documented.get(key);
      assert.ok(auth === "none" || auth === "token", `${key}: auth "${auth}" is "none" or "token"`);
      if (auth === "none") assert.ok(OPEN_ROUTES.has(key), `${key} is open in the doc but not on the server's allowlist`);
      else assert.ok(!OPEN_ROUTES.has(key), `${key} is on the allowlist but the doc says it needs the token`);
      for (const server of [base, setup.cluster.dashboardUrl as string]) {
        assert.equal(await refusedWithoutToken(server, method, route), auth === "token", `${key} on ${server}: ${auth === "token" ? "open without the token" : "refused though open"}`);
        if (method === "GET") assert.equal(await refusedWithoutToken(server, "HEAD", route), auth === "token", `HEAD ${route} on ${server}`);
      }
    }
  });

  it("lists a raylet's metrics routes with their auth", async () => {
    const gcs = await connectControlService(setup.cluster.address, setup.cluster.token);
    const metrics = `http://${(await gcs.nodes().finally(() => gcs.close()))[0]?.metricsAddress as string}`;
    const doc = docTable("Routes of a raylet's metrics port");
    assert.deepEqual(doc.map((d) => `${d.method} ${d.route}`).sort(), ["GET /healthz", "GET /metrics"]);
    for (const d of doc) assert.equal(await refusedWithoutToken(metrics, d.method, d.route), d.auth.startsWith("token"), d.route);
    assert.equal(await refusedWithoutToken(metrics, "GET", "/anything-else"), true);
  });
});
