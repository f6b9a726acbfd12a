/**
 * Issue 16 point 5: the jobs API of the head's HTTP server on a LocalCluster, through HTTP
 * (fetch) and through JobSubmissionClient (`lux/job`). A job's shell entrypoint runs under a
 * supervisor actor with LUX_ADDRESS set; its states go PENDING → RUNNING → SUCCEEDED|FAILED|
 * STOPPED with a message and the exit code; stop sends SIGTERM then SIGKILL; a dead supervisor
 * fails the job; bad requests are refused naming the field.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { startDashboard } from "@lux/launcher";
import * as lux from "lux";
import { InvalidJobRequestError, JobExistsError, JobNotFinishedError, JobNotFoundError, JobSubmissionClient, isTerminalStatus, type JobDetails } from "lux/job";
import { fixtures, pidAlive, waitFor, withCluster } from "./helpers.js";

const GRACE_MS = 1500;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lux-jobs-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("jobs API", () => {
  const setup = withCluster({ head: { numCpus: 2 }, dashboard: true, config: { jobStopGraceMs: GRACE_MS } });
  const url = (route: string): string => `${setup.cluster.dashboardUrl as string}${route}`;
  const headers = (): Record<string, string> => ({ authorization: `Bearer ${setup.cluster.token}`, "content-type": "application/json" });
  const client = (): JobSubmissionClient => new JobSubmissionClient(setup.cluster.dashboardUrl, { token: setup.cluster.token });
  const ended = async (id: string): Promise<JobDetails> => {
    let job: JobDetails | undefined;
    await waitFor(async () => isTerminalStatus((job = await client().getJobInfo(id)).status), `job ${id} to end`, 60_000);
    return job as JobDetails;
  };
  const untilLogs = (id: string, pattern: RegExp): Promise<void> =>
    waitFor(async () => pattern.test(await client().getJobLogs(id)), `job ${id}'s output to match ${pattern}`, 60_000);

  it("runs an entrypoint to SUCCEEDED: its output in the logs, LUX_ADDRESS set, lux.init() in it joins the cluster", async () => {
    const jobs = client();
    const id = await jobs.submitJob({
      entrypoint: `echo "address=$LUX_ADDRESS id=$LUX_SUBMISSION_ID"; echo to-stderr >&2; ${JSON.stringify(process.execPath)} ${path.join(fixtures, "job-driver.mjs")}`,
      metadata: { owner: "tests" },
    });
    assert.match(id, /^luxsubmit_[0-9a-f]{16}$/);
    const job = await ended(id);
    const logs = await jobs.getJobLogs(id);
    assert.equal(job.status, "SUCCEEDED", `${job.message}\n${logs}`);
    assert.equal(job.exitCode, 0);
    assert.equal(job.errorType, null);
    assert.deepEqual(job.metadata, { owner: "tests" });
    assert.equal(job.submissionId, id);
    assert.ok(job.driverPid !== null && job.driverNodeId !== null && job.endTime !== null && job.endTime >= job.startTime);
    assert.ok(logs.includes(`address=${setup.cluster.address} id=${id}\n`), logs);
    assert.ok(logs.includes("to-stderr\n"), logs);
    assert.ok(logs.includes(`driver joined ${setup.cluster.address}: squares [1,4,9]`), logs);
    assert.equal(await jobs.getJobStatus(id), "SUCCEEDED");
    assert.ok((await jobs.listJobs()).some((j) => j.submissionId === id));
  });

  it("records a failing entrypoint as FAILED with its exit code and last output (over plain HTTP)", async () => {
    const res = await fetch(url("/api/jobs"), { method: "POST", headers: headers(), body: JSON.stringify({ entrypoint: "echo going down; exit 7", submissionId: "fails-7" }) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { submissionId: "fails-7" });
    const job = await ended("fails-7");
    assert.equal(job.status, "FAILED");
    assert.equal(job.exitCode, 7);
    assert.equal(job.errorType, "ENTRYPOINT_FAILED");
    assert.match(job.message, /exited with code 7[\s\S]*going down/);
    const one = (await (await fetch(url("/api/jobs/fails-7"), { headers: headers() })).json()) as JobDetails;
    assert.equal(one.status, "FAILED");
    const logs = (await (await fetch(url("/api/jobs/fails-7/logs"), { headers: headers() })).json()) as { logs: string };
    assert.equal(logs.logs, "going down\n");
  });

  it("stops a job: SIGTERM first, then SIGKILL for a process group that ignores it, within the grace period", async () => {
    const jobs = client();
    const polite = await jobs.submitJob({ entrypoint: "trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.05; done" });
    const stubborn = await jobs.submitJob({ entrypoint: "trap '' TERM; echo ready; sleep 60 & wait; sleep 60" });
    await untilLogs(polite, /ready/);
    await untilLogs(stubborn, /ready/);
    const pid = (await jobs.getJobInfo(stubborn)).driverPid as number;
    assert.equal((await jobs.getJobInfo(stubborn)).status, "RUNNING");
    const started = Date.now();
    assert.equal(await jobs.stopJob(polite), true);
    assert.equal(await jobs.stopJob(stubborn), true);
    const stoppedPolite = await ended(polite);
    assert.equal(stoppedPolite.status, "STOPPED");
    assert.match(await jobs.getJobLogs(polite), /got TERM/);
    const stoppedStubborn = await ended(stubborn);
    const took = Date.now() - started;
    assert.equal(stoppedStubborn.status, "STOPPED");
    assert.equal(stoppedStubborn.exitCode, 128 + 9, "killed by SIGKILL");
    assert.ok(took >= GRACE_MS - 100 && took < GRACE_MS + 5000, `stopped after ${took} ms (grace ${GRACE_MS} ms)`);
    assert.ok(!pidAlive(pid), "the entrypoint's shell is gone");
    assert.equal(await jobs.stopJob(stubborn), false, "an ended job is not stopped again");
  });

  it("stops a job still PENDING (its supervisor waits for a resource no node has)", async () => {
    const jobs = client();
    const id = await jobs.submitJob({ entrypoint: "echo never", entrypointResources: { nowhere: 1 } });
    assert.equal(await jobs.getJobStatus(id), "PENDING");
    assert.equal(await jobs.stopJob(id), true);
    const job = await jobs.getJobInfo(id);
    assert.equal(job.status, "STOPPED");
    assert.match(job.message, /before its entrypoint started/);
    assert.equal(await jobs.getJobLogs(id), "");
  });

  it("fails the job when its supervisor dies (its worker killed), and ends the entrypoint with it", async () => {
    const jobs = client();
    const id = await jobs.submitJob({ entrypoint: "echo ready; sleep 60" });
    await untilLogs(id, /ready/);
    const shell = (await jobs.getJobInfo(id)).driverPid as number;
    const actors = await lux.state.listActors({ filters: [["name", "=", `_lux_job_supervisor:${id}`]] });
    const workerId = actors.items[0]?.workerId;
    assert.ok(workerId !== undefined && workerId !== null, JSON.stringify(actors.items));
    const workers = await lux.state.listWorkers({ filters: [["workerId", "=", workerId]] });
    const workerPid = workers.items[0]?.pid as number;
    process.kill(workerPid, "SIGKILL");
    const job = await ended(id);
    assert.equal(job.status, "FAILED");
    assert.equal(job.errorType, "SUPERVISOR_DIED");
    assert.match(job.message, /supervisor actor died/);
    await waitFor(() => !pidAlive(shell), "the entrypoint to end with its supervisor", GRACE_MS + 5000);
  });

  it("streams the output as it comes until the job ends (/logs/tail)", async () => {
    const gate = path.join(fs.mkdtempSync(path.join(scratch, "tail-")), "go");
    const jobs = client();
    const id = await jobs.submitJob({ entrypoint: `echo first; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second` });
    const seen: string[] = [];
    let sawFirst = false;
    for await (const text of jobs.tailJobLogs(id)) {
      seen.push(text);
      if (!sawFirst && seen.join("").includes("first\n")) {
        sawFirst = true;
        assert.equal(await jobs.getJobStatus(id), "RUNNING", "the first line came while the job was still running");
        fs.writeFileSync(gate, "");
      }
    }
    assert.equal(seen.join(""), "first\nsecond\n");
    assert.equal(await jobs.getJobStatus(id), "SUCCEEDED");
    // Over HTTP: chunked plain text; for an ended job, all of it at once.
    const res = await fetch(url(`/api/jobs/${id}/logs/tail`), { headers: headers() });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    assert.equal(await res.text(), "first\nsecond\n");
  });

  it("runs the entrypoint in its runtime env: the working dir's copy and its env vars", async () => {
    const dir = fs.mkdtempSync(path.join(scratch, "wd-"));
    fs.writeFileSync(path.join(dir, "data.txt"), "from the working dir\n");
    const jobs = client();
    const id = await jobs.submitJob({ entrypoint: "cat data.txt; echo \"FOO=$FOO\"; pwd", runtimeEnv: { workingDir: dir, envVars: { FOO: "bar" } } });
    const job = await ended(id);
    const logs = await jobs.getJobLogs(id);
    assert.equal(job.status, "SUCCEEDED", logs);
    assert.match(logs, /^from the working dir\nFOO=bar\n.*runtime_resources\/pkg_[0-9a-f]+\n$/);
  });

  it("refuses a duplicate id (409) and a bad body (400 naming the field), and knows no unknown id (404)", async () => {
    const jobs = client();
    await jobs.submitJob({ entrypoint: "true", submissionId: "twice" });
    const dup = await fetch(url("/api/jobs"), { method: "POST", headers: headers(), body: JSON.stringify({ entrypoint: "true", submissionId: "twice" }) });
    assert.equal(dup.status, 409);
    assert.equal(((await dup.json()) as { error: string }).error, "LUX_JOB_EXISTS");
    await assert.rejects(jobs.submitJob({ entrypoint: "true", submissionId: "twice" }), JobExistsError);

    const bad: [unknown, string][] = [
      [{}, "entrypoint"],
      [{ entrypoint: 42 }, "entrypoint"],
      [{ entrypoint: "  " }, "entrypoint"],
      [{ entrypoint: "true", submissionId: "no spaces allowed" }, "submissionId"],
      [{ entrypoint: "true", metadata: { owner: 1 } }, "metadata.owner"],
      [{ entrypoint: "true", entrypointNumCpus: -1 }, "entrypointNumCpus"],
      [{ entrypoint: "true", entrypointNumGpus: "2" }, "entrypointNumGpus"],
      [{ entrypoint: "true", entrypointResources: { custom: -2 } }, "entrypointResources.custom"],
      [{ entrypoint: "true", runtimeEnv: "x" }, "runtimeEnv"],
      [{ entrypoint: "true", runtimeEnv: { envVars: { PORT: 80 } } }, "runtimeEnv.envVars.PORT"],
      [{ entrypoint: "true", runtimeEnv: { workingDirectory: "/tmp" } }, "runtimeEnv.workingDirectory"],
      [{ entrypoint: "true", runtimeEnv: { workingDir: "/no/such/dir" } }, "runtimeEnv.workingDir"],
      [{ entrypoint: "true", entrypointMemory: 5 }, "entrypointMemory"],
      [[1, 2], "body"],
    ];
    for (const [body, field] of bad) {
      const res = await fetch(url("/api/jobs"), { method: "POST", headers: headers(), body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = (await res.json()) as { error: string; field: string; message: string };
      assert.equal(answer.error, "LUX_INVALID_JOB_REQUEST");
      assert.equal(answer.field, field, `${JSON.stringify(body)}: ${answer.message}`);
    }
    const notJson = await fetch(url("/api/jobs"), { method: "POST", headers: headers(), body: "{ entrypoint: " });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { field: string }).field, "body");
    const error = await jobs.submitJob({ entrypoint: "" }).catch((e: unknown) => e);
    assert.ok(error instanceof InvalidJobRequestError && error.field === "entrypoint", String(error));

    for (const [method, route] of [["GET", "/api/jobs/nope"], ["GET", "/api/jobs/nope/logs"], ["GET", "/api/jobs/nope/logs/tail"], ["POST", "/api/jobs/nope/stop"], ["DELETE", "/api/jobs/nope"]] as const) {
      const res = await fetch(url(route), { method, headers: { authorization: headers()["authorization"] as string } });
      assert.equal(res.status, 404, `${method} ${route}`);
      assert.equal(((await res.json()) as { error: string }).error, "LUX_JOB_NOT_FOUND");
    }
    await assert.rejects(jobs.getJobInfo("nope"), JobNotFoundError);
  });

  it("needs the cluster token on every jobs route (401)", async () => {
    for (const [method, route] of [["POST", "/api/jobs"], ["GET", "/api/jobs"], ["GET", "/api/jobs/x"], ["GET", "/api/jobs/x/logs"], ["GET", "/api/jobs/x/logs/tail"], ["POST", "/api/jobs/x/stop"], ["DELETE", "/api/jobs/x"]] as const) {
      for (const authorization of [undefined, `Bearer ${"0".repeat(48)}`]) {
        const res = await fetch(url(route), {
          method,
          headers: { "content-type": "application/json", ...(authorization !== undefined ? { authorization } : {}) },
          ...(method === "POST" ? { body: JSON.stringify({ entrypoint: "touch /tmp/should-not-run" }) } : {}),
        });
        assert.equal(res.status, 401, `${method} ${route} ${authorization ?? "without a token"}`);
      }
    }
    await assert.rejects(new JobSubmissionClient(setup.cluster.dashboardUrl, { token: "0".repeat(48) }).listJobs(), (e: Error & { status?: number }) => e.status === 401);
  });

  it("deletes an ended job with its logs, and refuses to delete one still running", async () => {
    const jobs = client();
    const id = await jobs.submitJob({ entrypoint: "echo bye; sleep 60" });
    await untilLogs(id, /bye/);
    await assert.rejects(jobs.deleteJob(id), JobNotFinishedError);
    const refused = await fetch(url(`/api/jobs/${id}`), { method: "DELETE", headers: { authorization: headers()["authorization"] as string } });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, "LUX_JOB_NOT_FINISHED");
    await jobs.stopJob(id);
    assert.equal((await ended(id)).status, "STOPPED");
    assert.equal(await jobs.deleteJob(id), true);
    await assert.rejects(jobs.getJobInfo(id), JobNotFoundError);
    await assert.rejects(jobs.getJobLogs(id), JobNotFoundError);
    assert.ok(!(await jobs.listJobs()).some((j) => j.submissionId === id));
    assert.deepEqual(await lux.util.kv.keys(`log:${id}:`, { namespace: "_lux_jobs" }), [], "its output is gone from the KV");
  });

  it("keeps the jobs across a restart of the HTTP server: the new one lists them and follows a job still running", async () => {
    const { token, address } = setup.cluster;
    const first = await startDashboard({ token, gcsAddress: address, address: "127.0.0.1:0", exitWithParent: true, config: { jobStopGraceMs: GRACE_MS } });
    let second: Awaited<ReturnType<typeof startDashboard>> | undefined;
    try {
      const other = await client().submitJob({ entrypoint: "true" });
      const gate = path.join(fs.mkdtempSync(path.join(scratch, "restart-")), "go");
      const before = new JobSubmissionClient(`http://${first.address}`, { token });
      const id = await before.submitJob({ entrypoint: `echo waiting; while [ ! -e ${gate} ]; do sleep 0.05; done; echo released` });
      await waitFor(async () => (await before.getJobLogs(id)).includes("waiting"), "the job to run");
      first.kill("SIGKILL");
      await first.waitExit();
      second = await startDashboard({ token, gcsAddress: address, address: "127.0.0.1:0", exitWithParent: true, config: { jobStopGraceMs: GRACE_MS } });
      const after = new JobSubmissionClient(`http://${second.address}`, { token });
      assert.equal(await after.getJobStatus(id), "RUNNING");
      assert.ok((await after.listJobs()).some((j) => j.submissionId === other), "jobs of the other server are listed too");
      fs.writeFileSync(gate, "");
      await waitFor(async () => (await after.getJobStatus(id)) === "SUCCEEDED", "the new server to record the job's end", 30_000);
      assert.equal(await after.getJobLogs(id), "waiting\nreleased\n");
    } finally {
      first.kill("SIGKILL");
      await second?.stop();
    }
  });
});
