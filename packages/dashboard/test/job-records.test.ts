/** JobRecords: ids are unique, changes of one job run in order, and an ended job's record never changes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobNotFoundError } from "@lux/common";
import { JobRecords } from "../src/jobs/job-records.js";
import { endedJob, pendingJob, runningJob, stoppedBeforeStart } from "../src/jobs/job-transitions.js";
import { checkSubmission } from "../src/jobs/job-request.js";
import { FakeKv } from "./fake-kv.js";

const submission = checkSubmission({ entrypoint: "true" });

describe("JobRecords", () => {
  it("creates a job once per id, lists jobs oldest first, and removes a job with its output", async () => {
    const kv = new FakeKv();
    const records = new JobRecords(kv);
    assert.equal(await records.create(pendingJob("b", submission, 2)), true);
    assert.equal(await records.create(pendingJob("a", submission, 1)), true);
    assert.equal(await records.create(pendingJob("a", submission, 3)), false);
    assert.deepEqual((await records.list()).map((j) => j.submissionId), ["a", "b"]);
    await kv.put("log:a:0000000000", "x");
    await kv.put("logmeta:a", "{}");
    await records.remove("a");
    await assert.rejects(records.get("a"), JobNotFoundError);
    assert.deepEqual([...kv.entries.keys()], ["job:b"]);
  });

  it("runs one job's changes in order; once it ended, later changes leave it", async () => {
    const records = new JobRecords(new FakeKv());
    await records.create(pendingJob("j", submission, 1));
    // A stop and the entrypoint's start race: whichever comes first wins, the other sees it.
    const [stopped, started] = await Promise.all([
      records.update("j", (j) => stoppedBeforeStart(j, 5)),
      records.update("j", (j) => runningJob(j, { pid: 1, nodeId: "n" })),
    ]);
    assert.equal(stopped?.status, "STOPPED");
    assert.equal(started?.status, "STOPPED", "the start found the job ended");
    const after = await records.update("j", (j) => endedJob(j, { exitCode: 0, signal: null, stopped: false, lastOutput: "" }, 9));
    assert.deepEqual([after?.status, after?.endTime], ["STOPPED", 5]);
  });

  it("words a failed entrypoint's end with its exit code or signal and its last lines", () => {
    const running = runningJob(pendingJob("j", submission, 1), { pid: 7, nodeId: "n" });
    assert.ok(running !== undefined);
    const failed = endedJob(running, { exitCode: 3, signal: null, stopped: false, lastOutput: `${Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")}\n` }, 2);
    assert.equal(failed.status, "FAILED");
    assert.equal(failed.errorType, "ENTRYPOINT_FAILED");
    assert.match(failed.message, /^The entrypoint exited with code 3\. Its last output:\nline 10\n[\s\S]*line 29$/);
    const killed = endedJob(running, { exitCode: 139, signal: "SIGSEGV", stopped: false, lastOutput: "" }, 2);
    assert.equal(killed.message, "The entrypoint was killed by SIGSEGV (exit code 139).");
    assert.equal(endedJob(running, { exitCode: 143, signal: "SIGTERM", stopped: true, lastOutput: "" }, 2).status, "STOPPED");
  });
});
