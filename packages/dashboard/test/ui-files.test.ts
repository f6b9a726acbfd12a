/**
 * The web UI's static files on the head's HTTP server: behind the token, with content types
 * and a strict Content-Security-Policy on HTML, index.html for the UI's own routes, nothing
 * outside the built folder, and a plain answer when the UI is not built.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { createDashboardServer } from "../src/server.js";
import type { StateSource } from "../src/state-routes.js";

const TOKEN = "t".repeat(48);
const nothing = { list: async () => ({ items: [], nextPageToken: null, total: 0, dropped: 0 }) } as unknown as StateSource;

describe("the web UI's files", () => {
  let dir: string;
  let app: FastifyInstance;
  const bearer = { authorization: `Bearer ${TOKEN}` };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "lux-ui-"));
    mkdirSync(path.join(dir, "assets"));
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Lux</title>");
    writeFileSync(path.join(dir, "assets", "index-abc.js"), "console.log(1)");
    writeFileSync(path.join(dir, "assets", "index-abc.css"), "body{}");
    writeFileSync(path.join(dir, "favicon.svg"), "<svg/>");
    // Beside the built folder: must never be served.
    writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), "TOP SECRET CONTENT");
    app = createDashboardServer({ token: TOKEN, state: nothing, ui: { uiDir: dir } });
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), { force: true });
  });

  it("answers the views' paths with index.html under a strict Content-Security-Policy", async () => {
    for (const url of ["/", "/overview", "/tasks", "/tasks/abc123", "/placement-groups/pg-1", "/logs"]) {
      const res = await app.inject({ url, headers: bearer });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(res.body, "<!doctype html><title>Lux</title>");
      const csp = String(res.headers["content-security-policy"]);
      assert.match(csp, /^default-src 'self'; script-src 'self'; style-src 'self' 'sha256-[\w+/=]+'; /);
      assert.match(csp, /connect-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["cache-control"], "no-cache");
    }
    const login = await app.inject({ url: "/login" });
    assert.match(String(login.headers["content-security-policy"]), /default-src 'self'/, "the login page too");
  });

  it("serves the assets with their content types, hashed names for good", async () => {
    const js = await app.inject({ url: "/assets/index-abc.js", headers: bearer });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(js.headers["content-security-policy"], undefined, "only HTML carries the policy");
    const css = await app.inject({ url: "/assets/index-abc.css", headers: bearer });
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
    const icon = await app.inject({ url: "/favicon.svg", headers: bearer });
    assert.deepEqual([icon.statusCode, icon.headers["content-type"], icon.body], [200, "image/svg+xml", "<svg/>"]);
  });

  it("serves nothing outside the built folder, however the path is spelled", async () => {
    const secret = `${path.basename(dir)}-secret.txt`;
    for (const url of [
      `/assets/../../${secret}`,
      `/assets/..%2F..%2F${secret}`,
      `/assets/%2e%2e/%2e%2e/${secret}`,
      "/assets/..%5c..%5cindex.html",
      "/assets/../index.html",
      "/assets/",
      "/assets/nope.js",
      "/index.html",
      `/${secret}`,
    ]) {
      const res = await app.inject({ url, headers: bearer });
      assert.notEqual(res.statusCode, 200, url);
      assert.ok(!res.body.includes("TOP SECRET"), url);
    }
  });

  it("needs the token like every other route: a browser goes to the login page", async () => {
    const page = await app.inject({ url: "/tasks", headers: { accept: "text/html" } });
    assert.deepEqual([page.statusCode, page.headers.location], [303, "/login"]);
    const asset = await app.inject({ url: "/assets/index-abc.js" });
    assert.equal(asset.statusCode, 401);
  });

  it("says how to build the UI when it is not built", async () => {
    const bare = createDashboardServer({ token: TOKEN, state: nothing, ui: { uiDir: path.join(dir, "missing") } });
    try {
      const res = await bare.inject({ url: "/", headers: bearer });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /npm run build/);
    } finally {
      await bare.close();
    }
  });
});
