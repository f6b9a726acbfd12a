/**
 * The jobs routes over a fake job manager (app.inject, no cluster): the token on every route,
 * each error class to its status and body, the body checks naming the field, and the tail
 * streamed as chunked text.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobExistsError, JobNotFinishedError, JobNotFoundError } from "@lux/common";
import type { JobDetails } from "lux/job";
import { checkSubmission } from "../src/jobs/job-request.js";
import type { JobsSource } from "../src/jobs/job-routes.js";
import { createDashboardServer } from "../src/server.js";
import type { StateSource } from "../src/state-routes.js";

const token = "t".repeat(48);
const auth = { authorization: `Bearer ${token}` };
const job = (id: string, status: JobDetails["status"]): JobDetails =>
  ({ submissionId: id, status, entrypoint: "true", startTime: 1, endTime: null }) as unknown as JobDetails;

/** Jobs "a" (RUNNING) and "b" (SUCCEEDED); "taken" exists; the tail of "a" gives two pieces. */
const fakeJobs: JobsSource = {
  async submit(body) {
    const s = checkSubmission(body);
    if (s.submissionId === "taken") throw new JobExistsError({ submissionId: "taken" });
    return s.submissionId ?? "made-up";
  },
  async info(id) {
    if (id === "a") return job("a", "RUNNING");
    if (id === "b") return job("b", "SUCCEEDED");
    throw new JobNotFoundError({ submissionId: id });
  },
  async list() {
    return [job("a", "RUNNING"), job("b", "SUCCEEDED")];
  },
  async logs(id) {
    await this.info(id);
    return "output\n";
  },
  async *tail() {
    yield "first\n";
    yield "second\n";
  },
  async stop(id) {
    return (await this.info(id)).status === "RUNNING";
  },
  async delete(id) {
    const j = await this.info(id);
    if (j.status === "RUNNING") throw new JobNotFinishedError({ submissionId: id, status: j.status });
    return true;
  },
};

function server(): ReturnType<typeof createDashboardServer> {
  return createDashboardServer({ token, state: {} as StateSource, jobs: fakeJobs });
}

describe("jobs routes", () => {
  it("answer each call with its JSON, and each error with its status and code", async () => {
    const app = server();
    const post = (payload: unknown) => app.inject({ method: "POST", url: "/api/jobs", headers: auth, payload: payload as object });
    assert.deepEqual((await post({ entrypoint: "true", submissionId: "new-one" })).json(), { submissionId: "new-one" });
    const taken = await post({ entrypoint: "true", submissionId: "taken" });
    assert.deepEqual([taken.statusCode, taken.json().error, taken.json().submissionId], [409, "LUX_JOB_EXISTS", "taken"]);
    assert.equal((await app.inject({ url: "/api/jobs", headers: auth })).json().jobs.length, 2);
    assert.equal((await app.inject({ url: "/api/jobs/a", headers: auth })).json().status, "RUNNING");
    const missing = await app.inject({ url: "/api/jobs/zz", headers: auth });
    assert.deepEqual([missing.statusCode, missing.json().error], [404, "LUX_JOB_NOT_FOUND"]);
    assert.deepEqual((await app.inject({ url: "/api/jobs/b/logs", headers: auth })).json(), { logs: "output\n" });
    assert.deepEqual((await app.inject({ method: "POST", url: "/api/jobs/a/stop", headers: auth })).json(), { stopped: true });
    assert.deepEqual((await app.inject({ method: "POST", url: "/api/jobs/b/stop", headers: auth })).json(), { stopped: false });
    const running = await app.inject({ method: "DELETE", url: "/api/jobs/a", headers: auth });
    assert.deepEqual([running.statusCode, running.json().error, running.json().status], [400, "LUX_JOB_NOT_FINISHED", "RUNNING"]);
    assert.deepEqual((await app.inject({ method: "DELETE", url: "/api/jobs/b", headers: auth })).json(), { deleted: true });
    await app.close();
  });

  it("refuse a bad body with 400 naming the field: not JSON, not an object, a form, a bad field", async () => {
    const app = server();
    const cases: [Record<string, string>, string, string][] = [
      [{ "content-type": "application/json" }, "{ not json", "body"],
      [{ "content-type": "application/json" }, "[1]", "body"],
      [{ "content-type": "application/x-www-form-urlencoded" }, "entrypoint=true", "body"],
      [{ "content-type": "application/json" }, '{"entrypoint":"true","extra":1}', "extra"],
      [{ "content-type": "application/json" }, '{"entrypoint":"true","entrypointResources":{"GPU":1}}', "entrypointResources.GPU"],
      [{ "content-type": "application/json" }, '{"entrypoint":"true","runtimeEnv":{"workingDir":"relative/dir"}}', "runtimeEnv.workingDir"],
    ];
    for (const [headers, payload, field] of cases) {
      const res = await app.inject({ method: "POST", url: "/api/jobs", headers: { ...auth, ...headers }, payload });
      assert.equal(res.statusCode, 400, payload);
      assert.deepEqual([res.json().error, res.json().field], ["LUX_INVALID_JOB_REQUEST", field], `${payload}: ${res.body}`);
    }
    await app.close();
  });

  it("need the cluster token", async () => {
    const app = server();
    for (const [method, url] of [["POST", "/api/jobs"], ["GET", "/api/jobs"], ["GET", "/api/jobs/a"], ["GET", "/api/jobs/a/logs"], ["GET", "/api/jobs/a/logs/tail"], ["POST", "/api/jobs/a/stop"], ["DELETE", "/api/jobs/b"]] as const) {
      const res = await app.inject({ method, url, ...(method === "POST" ? { payload: { entrypoint: "true" } } : {}) });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
    await app.close();
  });

  it("stream the tail as chunked text, and answer 404 before streaming for an unknown job", async () => {
    const app = server();
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const address = app.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${address.port}/api/jobs/a/logs/tail`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("transfer-encoding"), "chunked");
      assert.equal(await res.text(), "first\nsecond\n");
      const missing = await fetch(`http://127.0.0.1:${address.port}/api/jobs/zz/logs/tail`, { headers: auth });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: string }).error, "LUX_JOB_NOT_FOUND");
    } finally {
      await app.close();
    }
  });
});
