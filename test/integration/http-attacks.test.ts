/**
 * Issue 17 point 4 (and the HTTP body cap of point 6): the head's HTTP server of a
 * LocalCluster, attacked over real HTTP (node:http, so paths and headers go out as written).
 * The login form works without scripts and sets a session cookie that is not the token;
 * another `Host` (DNS rebinding) gets 421; another site's `Origin` cannot change anything;
 * static paths cannot leave the asset folder; the log routes read only the nodes' session log
 * files and never connect anywhere a request names; bodies past httpBodyMaxBytes are refused,
 * and a request without the token is refused before its body is read.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectControlService } from "@lux/launcher";
import { root, waitFor, withCluster } from "./helpers.js";

const BODY_MAX = 4096;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("the head's HTTP server under attack", () => {
  const setup = withCluster({ head: { numCpus: 1 }, dashboard: true, metricsPublic: true, config: { httpBodyMaxBytes: BODY_MAX } }, async () => undefined);
  let port = 0;
  let own = "";
  /** A request as written: raw path, exactly these headers (Host defaults to the server's). */
  const send = (method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path: rawPath, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${setup.cluster.token}` });
  const json = (): Record<string, string> => ({ ...bearer(), "content-type": "application/json" });
  const jobIds = async (): Promise<string[]> => ((JSON.parse((await send("GET", "/api/jobs", bearer())).body) as { jobs: { submissionId: string }[] }).jobs).map((j) => j.submissionId);

  before(() => {
    port = Number(new URL(setup.cluster.dashboardUrl as string).port);
    own = `http://127.0.0.1:${port}`;
  });

  it("logs a browser in through a form without scripts: the cookie holds a session id, not the token", async () => {
    const page = await send("GET", "/login");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.body, /<form method="post" action="\/login">/);
    assert.match(page.body, /<input id="token" name="token" type="password"/);
    assert.doesNotMatch(page.body, /<script/i);
    const form = { "content-type": "application/x-www-form-urlencoded", origin: own };
    const wrong = await send("POST", "/login", form, "token=nope");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers["set-cookie"], undefined);
    const good = await send("POST", "/login", form, `token=${setup.cluster.token}`);
    assert.equal(good.status, 303);
    assert.equal(good.headers.location, "/");
    const setCookie = good.headers["set-cookie"]?.[0] ?? "";
    assert.match(setCookie, /^lux_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=86400$/, "no Secure on plain HTTP");
    assert.ok(!setCookie.includes(setup.cluster.token));
    const cookie = setCookie.split(";")[0] as string;
    // What a browser sends when the page hides its origin: Origin null, but same-origin by its own word.
    const hidden = await send("POST", "/login", { ...form, origin: "null", "sec-fetch-site": "same-origin" }, `token=${setup.cluster.token}`);
    assert.equal(hidden.status, 303);
    assert.equal((await send("GET", "/api/state/nodes", { cookie })).status, 200);
    assert.equal((await send("GET", "/", { cookie, accept: "text/html" })).status, 200);
    // Logging out (POST /logout, the UI's form) ends the session; the stale cookie is cleared.
    const out = await send("POST", "/logout", { cookie, origin: own, "content-type": "application/x-www-form-urlencoded" }, "");
    assert.deepEqual([out.status, out.headers.location], [303, "/login"]);
    assert.match(out.headers["set-cookie"]?.[0] ?? "", /^lux_session=; .*Max-Age=0/);
    const after = await send("GET", "/api/state/nodes", { cookie });
    assert.equal(after.status, 401);
    assert.match(after.headers["set-cookie"]?.[0] ?? "", /Max-Age=0/);
    // Logging out again from a page left open: the browser goes to the login page.
    const again = await send("POST", "/logout", { cookie, origin: own, accept: "text/html", "content-type": "application/x-www-form-urlencoded" }, "");
    assert.deepEqual([again.status, again.headers.location], [303, "/login"]);
  });

  it("refuses a Host it is not configured for (DNS rebinding) with 421, even with the token", async () => {
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `[::1]:${port}`, `10.0.0.1:${port}`]) {
      for (const route of ["/api/state/nodes", "/healthz", "/login", "/"]) {
        const res = await send("GET", route, { ...bearer(), host });
        assert.equal(res.status, 421, `${host} ${route}`);
        assert.doesNotMatch(res.body, /nodeId/);
      }
      const job = await send("POST", "/api/jobs", { ...json(), host, origin: `http://${host}` }, JSON.stringify({ entrypoint: "true", submissionId: "rebound" }));
      assert.equal(job.status, 421);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) assert.equal((await send("GET", "/api/state/nodes", { ...bearer(), host })).status, 200, host);
    assert.ok(!(await jobIds()).includes("rebound"));
  });

  it("lets no page of another origin change anything: POST, DELETE and logins from it get 403", async () => {
    const done = await send("POST", "/api/jobs", { ...json(), origin: own }, JSON.stringify({ entrypoint: "true", submissionId: "same-origin" }));
    assert.equal(done.status, 200, done.body);
    await waitFor(async () => /SUCCEEDED/.test((await send("GET", "/api/jobs/same-origin", bearer())).body), "the job to end", 60_000);
    for (const origin of ["http://evil.example", `http://localhost:${port + 1}`, `https://127.0.0.1:${port}`, "null"]) {
      const create = await send("POST", "/api/jobs", { ...json(), origin }, JSON.stringify({ entrypoint: "true", submissionId: "cross-site" }));
      assert.equal(create.status, 403, origin);
      assert.equal((await send("DELETE", "/api/jobs/same-origin", { ...bearer(), origin })).status, 403, origin);
      assert.equal((await send("POST", "/api/jobs/same-origin/stop", { ...bearer(), origin })).status, 403, origin);
      const login = await send("POST", "/login", { "content-type": "application/x-www-form-urlencoded", origin }, `token=${setup.cluster.token}`);
      assert.deepEqual([login.status, login.headers["set-cookie"]], [403, undefined], origin);
      // A read is not refused for its Origin, but nothing lets the other page see the answer.
      const read = await send("GET", "/api/jobs", { ...bearer(), origin });
      assert.equal(read.status, 200);
      assert.equal(read.headers["access-control-allow-origin"], undefined);
    }
    // A null Origin passes only when the browser vouches that the page is this server's.
    const sandboxed = await send("POST", "/api/jobs", { ...json(), origin: "null", "sec-fetch-site": "cross-site" }, JSON.stringify({ entrypoint: "true", submissionId: "cross-site" }));
    assert.equal(sandboxed.status, 403);
    assert.deepEqual((await jobIds()).sort(), ["same-origin"], "nothing was created or deleted");
    assert.equal((await send("DELETE", "/api/jobs/same-origin", { ...bearer(), origin: own })).status, 200);
  });

  it("serves static files from the asset folder only: traversal in any spelling is a 404", async () => {
    const dist = path.join(root, "packages/dashboard/dist");
    const index = fs.readFileSync(path.join(dist, "ui/index.html"), "utf8");
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1] as string;
    assert.equal((await send("GET", asset, bearer())).status, 200);
    const secrets = ["root:x:0:0", '"name": "@lux/dashboard"', fs.readFileSync(path.join(dist, "main.js"), "utf8").slice(0, 120)];
    const attacks = [
      "/assets/../main.js",
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/%2E%2E%2F%2E%2E%2Fpackage.json",
      "/assets/%252e%252e/%252e%252e/package.json",
      "/assets/%252e%252e%252f%252e%252e%252fpackage.json",
      "/assets/..%5c..%5cpackage.json",
      "/assets/....//....//package.json",
      "/assets//etc/passwd",
      "/assets/%2fetc%2fpasswd",
      "/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/assets/../../../../../../etc/passwd%00.js",
      "/assets/",
      "/assets/nope.js",
      "//etc/passwd",
      "/..%2f..%2fpackage.json",
      "/%2e%2e/package.json",
      "/../../../../etc/passwd",
      "/%2fetc%2fpasswd",
      "/main.js",
      "/index.js",
      "/index.html",
      "/package.json",
      "/ui/index.html",
    ];
    for (const attack of attacks) {
      const res = await send("GET", attack, bearer());
      assert.equal(res.status, 404, attack);
      for (const secret of secrets) assert.ok(!res.body.includes(secret), `${attack} served a file outside the asset folder`);
    }
    // The UI's own routes answer with index.html, whatever follows them: never another file.
    for (const view of ["/tasks/../../package.json", "/tasks/..%2f..%2fpackage.json", "/logs/%2e%2e/%2e%2e/etc/passwd", "/nodes/%252e%252e%252fmain.js"]) {
      const res = await send("GET", view, bearer());
      assert.ok(res.status === 404 || (res.status === 200 && res.body === index), `${view}: ${res.status}`);
    }
  });

  it("reads only session log files of the nodes the control service knows, and connects nowhere a request names", async () => {
    // Any connection to this listener would be a request the server made for a client (SSRF).
    let connections = 0;
    const canary = net.createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
    const canaryAddress = `127.0.0.1:${(canary.address() as net.AddressInfo).port}`;
    try {
      const listing = JSON.parse((await send("GET", "/api/logs", bearer())).body) as { nodeId: string; files: { name: string }[] }[];
      const nodeId = listing[0]?.nodeId as string;
      assert.ok(listing[0]?.files.some((f) => f.name === "gcs.log"));
      const good = await send("GET", `/api/logs?nodeId=${nodeId}&file=gcs.log`, bearer());
      assert.equal(good.status, 200);
      assert.match(good.body, /control service/i);
      const rayletAddress = setup.cluster.nodes[0]?.address as string;
      const q = encodeURIComponent;
      const attacks = [
        `nodeId=${nodeId}&file=${q("../logs/gcs.log")}`,
        `nodeId=${nodeId}&file=${q("../../../../../etc/passwd")}`,
        `nodeId=${nodeId}&file=${q("/etc/passwd")}`,
        `nodeId=${nodeId}&file=${q(path.join(setup.cluster.sessionDir, "logs", "gcs.log"))}`,
        `nodeId=${nodeId}&file=..`,
        `nodeId=${nodeId}&file=.`,
        `nodeId=${nodeId}&file=${q("gcs.log\0")}`,
        `nodeId=${nodeId}&file=%252e%252e%252fgcs.log`,
        `nodeId=${"f".repeat(56)}&file=gcs.log`,
        `nodeId=${q(rayletAddress)}&file=gcs.log`,
        `nodeId=${q(canaryAddress)}&file=gcs.log`,
        `nodeId=${q(`http://${canaryAddress}/`)}&file=gcs.log`,
        `nodeId=${nodeId}&file=${q(`http://${canaryAddress}/x.log`)}`,
      ];
      for (const query of attacks) {
        for (const route of ["/api/logs", "/api/logs/tail"]) {
          const res = await send("GET", `${route}?${query}`, bearer());
          assert.equal(res.status, 404, `${route}?${query}: ${res.body}`);
          assert.doesNotMatch(res.body, /root:x:0:0/);
        }
      }
      // Only a node's id (or the start of one) names a node.
      const byAddress = await send("GET", `/api/logs?nodeId=${q(canaryAddress)}`, bearer());
      assert.equal(byAddress.status, 404);
      assert.equal((await send("GET", `/api/logs?nodeId=${nodeId}&pid=../../1`, bearer())).status, 400);
      assert.equal(connections, 0, "the server connected to an address a request named");
    } finally {
      canary.close();
    }
  });

  it("caps request bodies, and refuses a request without the token before reading its body", async () => {
    const big = JSON.stringify({ entrypoint: `echo ${"x".repeat(2 * BODY_MAX)}`, submissionId: "too-big" });
    const refused = await send("POST", "/api/jobs", json(), big);
    assert.equal(refused.status, 413);
    const login = await send("POST", "/login", { "content-type": "application/x-www-form-urlencoded" }, `token=${"y".repeat(2 * BODY_MAX)}`);
    assert.equal(login.status, 413);
    assert.ok(!(await jobIds()).includes("too-big"));
    // 1 GiB announced, nothing sent: the answer comes without the body.
    const early = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/api/jobs", agent: false, headers: { "content-type": "application/json", "content-length": String(1024 ** 3) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    assert.equal(early, 401);
  });

  it("opens a node's /metrics without the token with LocalCluster's metricsPublic, and nothing else of that port", async () => {
    const gcs = await connectControlService(setup.cluster.address, setup.cluster.token);
    const metrics = `http://${(await gcs.nodes().finally(() => gcs.close()))[0]?.metricsAddress as string}`;
    const open = await fetch(`${metrics}/metrics`);
    assert.equal(open.status, 200);
    assert.match(await open.text(), /lux_/);
    assert.equal((await fetch(`${metrics}/metrics`, { method: "DELETE" })).status, 405);
    assert.equal((await fetch(`${metrics}/anything`)).status, 401);
  });
});
