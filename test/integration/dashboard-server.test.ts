/**
 * Issue 16 (preamble, points 1 and 7): the head's HTTP server on a LocalCluster. Every route
 * needs the cluster token, as a bearer token or a session made by logging in with it, except
 * `GET /healthz` and the login page; the state routes serve `lux.state` pages with filters
 * run on the server and invalid queries refused with the valid values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as lux from "lux";
import { waitFor, withCluster } from "./helpers.js";
import { double } from "./fixtures/state-defs.js";

describe("the head's HTTP server", () => {
  const setup = withCluster({ head: { numCpus: 2 }, dashboard: true, config: { taskEventsReportIntervalMs: 100 } });
  const url = (route: string): string => `${setup.cluster.dashboardUrl as string}${route}`;
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${setup.cluster.token}` });

  it("serves /healthz without a token, and nothing else", async () => {
    const health = await fetch(url("/healthz"));
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok");
    for (const route of ["/api/state/nodes", "/api/state/tasks/abc", "/api/summary/tasks", "/api/timeline", "/api/nope"]) {
      const refused = await fetch(url(route));
      assert.equal(refused.status, 401, route);
      const body = (await refused.json()) as { error: string };
      assert.equal(body.error, "unauthorized");
      const wrong = await fetch(url(route), { headers: { authorization: `Bearer ${"0".repeat(48)}` } });
      assert.equal(wrong.status, 401, `${route} with a wrong token`);
    }
    // A browser asking for a page is sent to the login page.
    const page = await fetch(url("/"), { headers: { accept: "text/html" }, redirect: "manual" });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("location"), "/login");
    const login = await fetch(url("/login"));
    assert.equal(login.status, 200);
    assert.match(await login.text(), /<form method="post" action="\/login">/);
  });

  it("logs a browser in with the token: the session cookie opens the routes, logging out ends it", async () => {
    const bad = await fetch(url("/login"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=nope", redirect: "manual" });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get("set-cookie"), null);
    const good = await fetch(url("/login"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${setup.cluster.token}`,
      redirect: "manual",
    });
    assert.equal(good.status, 303);
    const cookie = (good.headers.get("set-cookie") ?? "").split(";")[0] as string;
    assert.match(cookie, /^lux_session=.{40,}$/);
    assert.match(good.headers.get("set-cookie") ?? "", /HttpOnly; SameSite=Strict/);
    const nodes = await fetch(url("/api/state/nodes"), { headers: { cookie } });
    assert.equal(nodes.status, 200);
    assert.equal(((await nodes.json()) as { items: unknown[] }).items.length, 1);
    assert.equal((await fetch(url("/logout"), { method: "POST", headers: { cookie } })).status, 200);
    assert.equal((await fetch(url("/api/state/nodes"), { headers: { cookie } })).status, 401, "the session ended");
  });

  it("serves state pages: filters before the limit, paging, one item, summaries, the timeline", async () => {
    const refs = Array.from({ length: 6 }, (_, i) => double.remote(i, [1, 4]));
    await Promise.allSettled(refs.map((r) => lux.get(r, { timeoutMs: 60_000 })));
    type Page = { items: { taskId: string; state: string }[]; nextPageToken: string | null; total: number; dropped: number };
    const get = async (route: string): Promise<Page> => {
      const res = await fetch(url(route), { headers: bearer() });
      assert.equal(res.status, 200, `${route}: ${await res.clone().text()}`);
      return (await res.json()) as Page;
    };
    await waitFor(async () => (await get("/api/state/tasks?filter=state%3DFAILED")).total === 2, "the two failures' events");
    const first = await get("/api/state/tasks?filter=state%3DFAILED&limit=1");
    assert.deepEqual([first.items.length, first.total], [1, 2]);
    assert.notEqual(first.nextPageToken, null);
    const second = await get(`/api/state/tasks?filter=state%3DFAILED&limit=1&pageToken=${encodeURIComponent(first.nextPageToken as string)}`);
    assert.deepEqual([second.items.length, second.nextPageToken], [1, null]);
    assert.notEqual(second.items[0]?.taskId, first.items[0]?.taskId);
    const notFailed = await get("/api/state/tasks?filter=state!%3DFAILED&filter=functionName%3Ddouble");
    assert.ok(notFailed.items.every((t) => t.state !== "FAILED"));

    const one = await fetch(url(`/api/state/tasks/${first.items[0]?.taskId as string}`), { headers: bearer() });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { state: string; errorMessage?: string }).state, "FAILED");
    assert.equal((await fetch(url("/api/state/tasks/ffffffff"), { headers: bearer() })).status, 404);

    const summary = (await (await fetch(url("/api/summary/tasks"), { headers: bearer() })).json()) as { byName: Record<string, Record<string, number>> };
    assert.equal(summary.byName["double"]?.["FAILED"], 2);
    const trace = (await (await fetch(url("/api/timeline"), { headers: bearer() })).json()) as { ph: string }[];
    assert.ok(trace.length >= 6 && trace.every((e) => e.ph === "X"));
  });

  it("refuses an invalid query with 400, naming the invalid part and listing the valid values", async () => {
    const cases: [string, string, string][] = [
      ["/api/state/taskz", "kind", "placement-groups"],
      ["/api/state/tasks?filter=status%3DFAILED", "field", "functionName"],
      ["/api/state/tasks?filter=stateFAILED", "filter", "!="],
      ["/api/state/tasks?limit=0", "limit", ""],
      ["/api/summary/nodes", "kind", "objects"],
    ];
    for (const [route, part, oneValid] of cases) {
      const res = await fetch(url(route), { headers: bearer() });
      assert.equal(res.status, 400, route);
      const body = (await res.json()) as { error: string; part: string; valid: string[]; message: string };
      assert.equal(body.error, "LUX_INVALID_STATE_QUERY");
      assert.equal(body.part, part, route);
      if (oneValid !== "") assert.ok(body.valid.includes(oneValid), `${route}: ${body.message}`);
    }
  });
});
