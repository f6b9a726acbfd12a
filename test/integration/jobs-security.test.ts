/**
 * Issue 17 point 5: the jobs API of a LocalCluster's head. A submission without the token or
 * with a wrong one gets 401, creates nothing (no record, no supervisor, the entrypoint never
 * runs) and its entrypoint is written to no log; the 11th failed authentication from one
 * address within the window gets 429 (and locks that address out for wrong guesses, not others);
 * `runtimeEnv.envVars` reach the entrypoint but their values show nowhere: job info, the
 * jobs' KV records, the state API, the CLI.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as lux from "lux";
import { JobSubmissionClient, isTerminalStatus, type JobDetails } from "lux/job";
import { root, runScript, waitFor, withCluster } from "./helpers.js";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lux-jobs-security-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  let text = "";
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name), "latin1");
  }
  return text;
}

describe("jobs API security", () => {
  const setup = withCluster({ head: { numCpus: 2 }, dashboard: true });
  /** A request from `from` (a loopback address of this machine: each is its own client address). */
  const send = (method: string, route: string, headers: Record<string, string>, body?: string, from = "127.0.0.1"): Promise<Answer> => {
    const url = new URL(setup.cluster.dashboardUrl as string);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method, path: route, headers, localAddress: from, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  };
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${setup.cluster.token}` });
  const client = (): JobSubmissionClient => new JobSubmissionClient(setup.cluster.dashboardUrl, { token: setup.cluster.token });

  it("refuses a submission without the token or with a wrong one: 401, nothing created or run, nothing logged", async () => {
    const marker = path.join(scratch, "ran");
    const secretWord = `entrypoint-${process.pid}-${Date.now()}`;
    const body = JSON.stringify({ entrypoint: `echo ${secretWord} > ${marker}`, submissionId: "no-token" });
    for (const auth of [{}, { authorization: `Bearer ${"0".repeat(64)}` }, { authorization: `Bearer ${setup.cluster.token.slice(0, -1)}` }, { authorization: setup.cluster.token }, { cookie: "lux_session=guess" }]) {
      const res = await send("POST", "/api/jobs", { ...auth, "content-type": "application/json" }, body, "127.0.0.2");
      assert.equal(res.status, 401, JSON.stringify(auth));
      assert.equal(JSON.parse(res.body).error, "unauthorized");
      assert.ok(!res.body.includes(secretWord));
    }
    // The JSON client says why.
    await assert.rejects(new JobSubmissionClient(setup.cluster.dashboardUrl, { token: "f".repeat(64) }).submitJob({ entrypoint: `echo ${secretWord}` }), /token was refused/);
    assert.deepEqual(await client().listJobs(), []);
    assert.equal((await lux.state.listActors()).total, 0, "no supervisor actor");
    assert.equal(fs.existsSync(marker), false, "the entrypoint never ran");
    assert.ok(!allText(setup.cluster.sessionDir).includes(secretWord), "the entrypoint is in no log file");
  });

  it("answers the 11th failed authentication from one address within the window with 429, and locks that address only", async () => {
    const from = "127.0.0.3";
    const wrong = { authorization: `Bearer ${"e".repeat(64)}` };
    // Requests without credentials are no guesses: they are not counted.
    for (let i = 0; i < 15; i++) assert.equal((await send("GET", "/api/jobs", {}, undefined, from)).status, 401);
    for (let i = 1; i <= 10; i++) assert.equal((await send("GET", "/api/jobs", wrong, undefined, from)).status, 401, `failure ${i}`);
    const eleventh = await send("POST", "/api/jobs", { ...wrong, "content-type": "application/json" }, JSON.stringify({ entrypoint: "true" }), from);
    assert.equal(eleventh.status, 429);
    assert.ok(Number(eleventh.headers["retry-after"]) >= 1 && Number(eleventh.headers["retry-after"]) <= 60, String(eleventh.headers["retry-after"]));
    assert.equal(JSON.parse(eleventh.body).error, "too_many_failed_authentications");
    // Locked out: wrong guesses get 429 (and are not looked at further); the right token and a login with it still pass.
    assert.equal((await send("GET", "/api/jobs", wrong, undefined, from)).status, 429);
    assert.equal((await send("POST", "/login", { "content-type": "application/x-www-form-urlencoded" }, "token=wrong", from)).status, 429);
    assert.equal((await send("GET", "/api/jobs", bearer(), undefined, from)).status, 200);
    const login = await send("POST", "/login", { "content-type": "application/x-www-form-urlencoded" }, `token=${setup.cluster.token}`, from);
    assert.equal(login.status, 303);
    // Routes open without the token stay open; other addresses are not locked.
    assert.equal((await send("GET", "/healthz", {}, undefined, from)).status, 200);
    assert.equal((await send("GET", "/api/jobs", bearer(), undefined, "127.0.0.4")).status, 200);
    // Failed logins count too.
    const form = { "content-type": "application/x-www-form-urlencoded" };
    for (let i = 1; i <= 10; i++) assert.equal((await send("POST", "/login", form, "token=wrong", "127.0.0.5")).status, 401);
    assert.equal((await send("POST", "/login", form, "token=wrong", "127.0.0.5")).status, 429);
  });

  it("gives runtimeEnv.envVars to the entrypoint, and shows their names only: job info, KV records, state API, CLI", async () => {
    const secret = `s3cret-value-${process.pid}`;
    const id = await client().submitJob({
      entrypoint: 'echo "seen:$LUX_TEST_SECRET"',
      submissionId: "with-secret",
      runtimeEnv: { envVars: { LUX_TEST_SECRET: secret, OTHER: "plain" } },
    });
    let job: JobDetails | undefined;
    await waitFor(async () => isTerminalStatus((job = await client().getJobInfo(id)).status), "the job to end", 60_000);
    assert.equal(job?.status, "SUCCEEDED", job?.message);
    assert.ok((await client().getJobLogs(id)).includes(`seen:${secret}`), "the entrypoint got the value");
    assert.deepEqual(job?.runtimeEnv.envVars, { LUX_TEST_SECRET: "<redacted>", OTHER: "<redacted>" });

    const shown: [string, string][] = [];
    for (const route of [`/api/jobs/${id}`, "/api/jobs", "/api/state/actors?detail=true", "/api/state/tasks?detail=true", "/api/state/jobs?detail=true", "/api/state/workers?detail=true"]) {
      const res = await send("GET", route, bearer());
      assert.equal(res.status, 200, route);
      shown.push([route, res.body]);
    }
    const record = await lux.util.kv.get(`job:${id}`, { namespace: "_lux_jobs" });
    shown.push(["the job's KV record", Buffer.from(record ?? new Uint8Array()).toString("utf8")]);
    assert.match(shown.at(-1)?.[1] ?? "", /LUX_TEST_SECRET/);
    const luxBin = path.join(root, "packages/lux/bin/lux.js");
    const cliEnv = { LUX_SESSION_DIR_ROOT: scratch, LUX_ADDRESS: setup.cluster.dashboardUrl as string, LUX_TOKEN: setup.cluster.token };
    for (const args of [["job", "status", id, "--format", "json"], ["job", "list", "--format", "yaml"]]) {
      const r = await runScript(luxBin, { args, env: cliEnv, loader: false, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      shown.push([`lux ${args.join(" ")}`, r.stdout + r.stderr]);
    }
    for (const [where, text] of shown) assert.ok(!text.includes(secret), `the value shows in ${where}`);
    assert.match(shown[0]?.[1] ?? "", /"LUX_TEST_SECRET":"<redacted>"/, "the names stay visible");
  });
});
