/**
 * Issue 16 point 5: `lux job …` as a user runs it (the CLI as a child process) against a
 * LocalCluster's jobs API. `lux job submit` follows the output and exits with the job's
 * result: 0 when it SUCCEEDED, the entrypoint's exit code when it FAILED, 1 when STOPPED.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { root, runScript, startScript, withCluster } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lux-jobs-cli-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("lux job", () => {
  const setup = withCluster({ head: { numCpus: 2 }, dashboard: true, config: { jobStopGraceMs: 1000 } });
  /** The environment of a user who exported the dashboard's address and the token. */
  const env = (address = setup.cluster.dashboardUrl as string): Record<string, string> => ({
    LUX_SESSION_DIR_ROOT: scratch,
    LUX_ADDRESS: address,
    LUX_TOKEN: setup.cluster.token,
  });
  const lux = (args: string[], address?: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runScript(luxBin, { args, env: env(address), loader: false, timeoutMs: 90_000 });

  it("submit follows the output and exits 0 when the job SUCCEEDED; several words are quoted for the shell", async () => {
    const one = await lux(["job", "submit", "--", "echo hello; echo to stderr >&2"]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, "hello\nto stderr\n");
    assert.match(one.stderr, /Job luxsubmit_[0-9a-f]+ submitted[\s\S]*succeeded/);
    const words = await lux(["job", "submit", "--", "printf", "%s|", "a b", "it's"]);
    assert.equal(words.code, 0, words.stderr);
    assert.equal(words.stdout, "a b|it's|");
  });

  it("submit exits with the entrypoint's exit code when the job FAILED", async () => {
    const failed = await lux(["job", "submit", "--submission-id", "cli-fails", "--", "echo oops; exit 5"]);
    assert.equal(failed.code, 5, failed.stderr);
    assert.equal(failed.stdout, "oops\n");
    assert.match(failed.stderr, /job cli-fails FAILED: The entrypoint exited with code 5/);
  });

  it("submit exits 1 when the job is STOPPED (lux job stop waits until it is)", async () => {
    const submit = startScript(luxBin, { args: ["job", "submit", "--submission-id", "cli-stopped", "--", "trap '' TERM; echo ready; sleep 60"], env: env(), loader: false });
    try {
      await submit.line(/ready/, 60_000);
      const stopped = await lux(["job", "stop", "cli-stopped"]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stdout, "Job cli-stopped: STOPPED.\n");
      const { code } = await submit.exited();
      assert.equal(code, 1, submit.stderr());
      assert.match(submit.stderr(), /job cli-stopped STOPPED/);
      const again = await lux(["job", "stop", "cli-stopped"]);
      assert.equal(again.stdout, "Job cli-stopped has already ended: STOPPED.\n");
    } finally {
      submit.kill();
    }
  });

  it("submit --no-wait prints the id; status, logs, logs --follow, list and delete", async () => {
    const gate = path.join(scratch, "go");
    const submitted = await lux(["job", "submit", "--no-wait", "--metadata-json", '{"team":"a"}', "--", `echo started; while [ ! -e ${gate} ]; do sleep 0.05; done; echo done`]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^luxsubmit_[0-9a-f]{16}$/);
    const follow = startScript(luxBin, { args: ["job", "logs", "--follow", id], env: env(), loader: false });
    try {
      await follow.line(/started/, 60_000);
      const running = await lux(["job", "status", id]);
      assert.equal(running.code, 0, running.stderr);
      assert.equal(running.stdout, `Job ${id}: RUNNING\nThe entrypoint is running.\n`);
      fs.writeFileSync(gate, "");
      assert.equal((await follow.exited()).code, 0, follow.stderr());
      assert.equal(follow.stdout(), "started\ndone\n");
    } finally {
      follow.kill();
    }
    const status = await lux(["job", "status", "--format", "json", id]);
    const job = JSON.parse(status.stdout) as { status: string; exitCode: number; metadata: Record<string, string> };
    assert.deepEqual([job.status, job.exitCode, job.metadata], ["SUCCEEDED", 0, { team: "a" }]);
    assert.equal((await lux(["job", "logs", id])).stdout, "started\ndone\n");
    const listed = await lux(["job", "list"]);
    assert.match(listed.stdout, /^SUBMISSION_?ID\s+STATUS/i);
    assert.match(listed.stdout, new RegExp(`${id}\\s+SUCCEEDED\\s+0`));
    const deleted = await lux(["job", "delete", id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await lux(["job", "status", id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no job has the submission id/);
  });

  it("finds the jobs API from a control service address too, and runs in --working-dir (a relative path)", async () => {
    const dir = fs.mkdtempSync(path.join(scratch, "wd-"));
    fs.writeFileSync(path.join(dir, "hello.txt"), "shipped\n");
    const ran = await lux(["job", "submit", "--working-dir", path.relative(root, dir), "--", "cat hello.txt"], setup.cluster.address);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, "shipped\n");
  });

  it("reports a request the head refuses, naming the field", async () => {
    const refused = await lux(["job", "submit", "--runtime-env-json", '{"envVars":{"PORT":80}}', "--", "true"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid job request: runtimeEnv\.envVars\.PORT/);
    const noCommand = await lux(["job", "submit"]);
    assert.notEqual(noCommand.code, 0);
  });
});
