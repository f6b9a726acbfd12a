/**
 * `npm test` starts with scripts/system-deps.mjs: on a machine without redis-server (or
 * prometheus and promtool, from Debian's prometheus package, or chromium, or openssl, or kubectl) it installs Debian's packages when it can (root with apt-get) and otherwise names exactly what
 * to install and stops. Both cases run here on a PATH we build, so nothing is installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "scripts/system-deps.mjs");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-system-deps-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A folder for PATH holding `sh` and the given fake programs (each exits 0). */
function binDir(name: string, programs: string[]): string {
  const bin = path.join(dir, name);
  fs.mkdirSync(bin);
  fs.symlinkSync(spawnSync("sh", ["-c", "command -v sh"], { encoding: "utf8" }).stdout.trim(), path.join(bin, "sh"));
  for (const p of programs) fs.writeFileSync(path.join(bin, p), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  return bin;
}

function run(bin: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [script], { encoding: "utf8", env: { PATH: bin } });
}

test("with redis-server, prometheus, promtool, chromium, openssl and kubectl on the PATH the test command goes on", () => {
  const r = run(binDir("with-all", ["redis-server", "prometheus", "promtool", "chromium", "openssl", "kubectl"]));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
});

test("without redis-server and without apt-get it names what to install and stops", () => {
  const r = run(binDir("bare", ["prometheus", "promtool", "chromium", "openssl", "kubectl"]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the tests need redis-server, which is not on the PATH/);
  assert.match(r.stderr, /apt-get install -y redis-server\n/);
  assert.match(r.stderr, /brew install redis\n/);
});

test("without prometheus and promtool it names Debian's prometheus package once", () => {
  const r = run(binDir("no-prometheus", ["redis-server", "chromium", "openssl", "kubectl"]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the tests need prometheus, promtool, which are not on the PATH/);
  assert.match(r.stderr, /apt-get install -y prometheus\n/);
  assert.match(r.stderr, /brew install prometheus\n/);
});

test("without chromium (the dashboard's browser tests) it names it", () => {
  const r = run(binDir("no-browser", ["redis-server", "prometheus", "promtool", "openssl", "kubectl"]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the tests need chromium, which is not on the PATH/);
  assert.match(r.stderr, /apt-get install -y chromium\n/);
});

test("without openssl (lux cert, in the TLS tests and bench/security.ts) it names it", () => {
  const r = run(binDir("no-openssl", ["redis-server", "prometheus", "promtool", "chromium", "kubectl"]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the tests need openssl, which is not on the PATH/);
  assert.match(r.stderr, /apt-get install -y openssl\n/);
});

test("without kubectl (deploy/kubernetes rendered offline) it names Debian's kubernetes-client", () => {
  const r = run(binDir("no-kubectl", ["redis-server", "prometheus", "promtool", "chromium", "openssl"]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the tests need kubectl, which is not on the PATH/);
  assert.match(r.stderr, /apt-get install -y kubernetes-client\n/);
});
