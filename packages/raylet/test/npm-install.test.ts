/**
 * How the raylet runs npm: the arguments (no package.json or lock file touched, scripts off
 * unless allowed, into the env's own folder), and what a failing, hanging or missing npm
 * gives: its exit and the end of its stderr, a stop at the deadline (its scripts too), or
 * what to install. Stand-in npm scripts here; the real npm runs in the cluster test.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { npmInstallArgs, outputTail, systemNpmInstaller } from "../src/npm-install.js";
import { processRuns } from "../src/file-lock.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-npm-install-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fakeNpm(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

test("npm install into the env's folder, saving nothing, scripts off unless allowed", () => {
  const args = npmInstallArgs("/c/.tmp-x", ["a@1", "file:/p/b.tgz"], false);
  assert.deepEqual(args.slice(0, 1), ["install"]);
  for (const flag of ["--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--ignore-scripts"]) assert.ok(args.includes(flag), flag);
  assert.deepEqual(args.slice(-4), ["--prefix", "/c/.tmp-x", "a@1", "file:/p/b.tgz"]);
  assert.equal(npmInstallArgs("/c/x", ["a@1"], true).includes("--ignore-scripts"), false);
});

test("the end of npm's output: its last lines, without trailing blanks", () => {
  const text = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n") + "\n\n";
  const tail = outputTail(text);
  assert.equal(tail.split("\n").length, 25);
  assert.ok(tail.endsWith("line 39"));
  assert.equal(outputTail("only\n", 25), "only");
});

const request = (timeoutMs = 60_000) => ({ prefix: dir, specs: ["a@1"], allowScripts: false, timeoutMs });

test("a successful npm: ok, run in the env's folder with the arguments", async () => {
  const npm = fakeNpm("ok.sh", `pwd > "${dir}/cwd.txt"; echo "$@" > "${dir}/args.txt"`);
  const result = await systemNpmInstaller(new FakeClock(), npm)(request(), new AbortController().signal);
  assert.deepEqual(result, { ok: true });
  assert.equal(fs.realpathSync(fs.readFileSync(path.join(dir, "cwd.txt"), "utf8").trim()), fs.realpathSync(dir));
  assert.match(fs.readFileSync(path.join(dir, "args.txt"), "utf8"), /^install .*--ignore-scripts --prefix \S+ a@1$/m);
});

test("a failing npm: its exit code and the end of its stderr", async () => {
  const npm = fakeNpm("fail.sh", 'echo "npm error code ENOTCACHED" >&2; echo "npm error request failed" >&2; exit 1');
  const result = await systemNpmInstaller(new FakeClock(), npm)(request(), new AbortController().signal);
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.reason, "npm install exited with code 1");
  assert.equal(result.output, "npm error code ENOTCACHED\nnpm error request failed");
});

test("an npm past its deadline is stopped with what it runs; its output so far is kept", async () => {
  const pidFile = path.join(dir, "child.pid");
  // npm and a "script" it started, both waiting forever.
  const npm = fakeNpm("hang.sh", `echo "npm http fetch GET" >&2; sleep 600 & echo $! > "${pidFile}"; wait`);
  const clock = new FakeClock();
  const running = systemNpmInstaller(clock, npm)(request(5000), new AbortController().signal);
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, "utf8").trim() === "") {
    if (Date.now() > deadline) throw new RangeError("the stand-in npm did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  clock.advance(5000);
  const result = await running;
  assert.ok(!result.ok);
  assert.equal(result.reason, "npm did not finish within 5000 ms and was stopped");
  assert.match(result.output, /npm http fetch GET/);
  // Its script was killed with it (once its new parent has reaped it, it is gone).
  const scriptPid = Number(fs.readFileSync(pidFile, "utf8"));
  for (const until = Date.now() + 5000; processRuns(scriptPid); ) {
    if (Date.now() > until) assert.fail(`the script npm started (pid ${scriptPid}) still runs`);
    await new Promise((r) => setTimeout(r, 10));
  }
});

test("an abort (the raylet closing) stops npm", async () => {
  const npm = fakeNpm("hang2.sh", "sleep 600 & wait");
  const abort = new AbortController();
  const running = systemNpmInstaller(new FakeClock(), npm)(request(), abort.signal);
  abort.abort();
  const result = await running;
  assert.ok(!result.ok);
  assert.equal(result.reason, "the raylet is shutting down");
});

test("no npm: says what to install", async () => {
  const result = await systemNpmInstaller(new FakeClock(), path.join(dir, "no-such-npm"))(request(), new AbortController().signal);
  assert.ok(!result.ok);
  assert.match(result.reason, /npm was not found .*install Node\.js with npm on this node/);
});
