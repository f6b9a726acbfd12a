/**
 * NpmEnvs with a stand-in installer (the real npm runs in test/integration/runtime-env-npm.test.ts):
 * one install per set of specs however many requests, in one raylet or in two sharing the
 * cache (its lock); a failed install gives RuntimeEnvSetupError with npm's output and leaves
 * nothing behind; a request that joins an install has its own deadline; after a new install
 * the least recently used envs over the cap go, except those a running process pins.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RuntimeEnvSetupError } from "@lux/common";
import { FakeClock } from "@lux/protocol";
import type { NpmInstallRequest, NpmInstallResult, NpmInstaller } from "../src/npm-install.js";
import { NpmEnvs, type NpmEnvsOptions } from "../src/npm-envs.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lux-npm-envs-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let roots = 0;
const newRoot = (): string => path.join(tmp, `cache${++roots}`);

/** Installs a package.json per spec (name = the spec), 1000 bytes each; each call can be held. */
class FakeInstaller {
  readonly calls: NpmInstallRequest[] = [];
  result: NpmInstallResult = { ok: true };
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  readonly install: NpmInstaller = async (req) => {
    this.calls.push(req);
    await this.gate;
    if (!this.result.ok) return this.result;
    for (const spec of req.specs) {
      const pkg = path.join(req.prefix, "node_modules", spec.replace(/[^a-z0-9]/gi, "_"));
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: spec }).padEnd(1000));
    }
    return { ok: true };
  };
}

function envs(installer: FakeInstaller, clock: FakeClock, o: Partial<NpmEnvsOptions> = {}): NpmEnvs {
  return new NpmEnvs({ nodeId: "n1", root: newRoot(), capBytes: 1e9, lockPollMs: 100, clock, install: installer.install, nodeVersion: "v20", luxVersion: "0.1.0", ...o });
}

async function until(condition: () => boolean, what: string, clock?: FakeClock): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new RangeError(`timed out waiting for ${what}`);
    if (clock !== undefined) await clock.advanceAsync(100);
    else await new Promise((r) => setImmediate(r));
  }
}

const envDirs = (root: string): string[] => fs.readdirSync(root).filter((n) => n.startsWith("env_") && !n.endsWith(".lock"));

test("requests for the same specs share one install; the env holds its packages and metadata", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const e = envs(installer, clock);
  installer.hold();
  const a = e.prepare({ specs: ["x@1", "y@1"], allowScripts: false, timeoutMs: 60_000 });
  await until(() => installer.calls.length === 1, "the install to start");
  const b = e.prepare({ specs: ["y@1", "x@1"], allowScripts: false, timeoutMs: 60_000 });
  installer.release();
  const [ha, hb] = await Promise.all([a, b]);
  assert.equal(installer.calls.length, 1);
  assert.equal(ha.nodeModules, hb.nodeModules);
  assert.ok(fs.existsSync(path.join(ha.nodeModules, "x_1", "package.json")));
  const meta = JSON.parse(fs.readFileSync(path.join(ha.nodeModules, "..", "lux-env.json"), "utf8")) as { specs: string[]; bytes: number };
  assert.deepEqual(meta.specs, ["x@1", "y@1"]);
  assert.ok(meta.bytes >= 2000);
  ha.release();
  hb.release();
  const again = await e.prepare({ specs: ["x@1", "y@1"], allowScripts: false, timeoutMs: 60_000 });
  assert.equal(installer.calls.length, 1, "installed once: the cache has it");
  again.release();
});

test("two raylets sharing the cache: the second waits on the lock and uses the first one's install", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const root = newRoot();
  const first = envs(installer, clock, { root });
  const second = envs(installer, clock, { root });
  installer.hold();
  const a = first.prepare({ specs: ["shared@1"], allowScripts: false, timeoutMs: 60_000 });
  await until(() => installer.calls.length === 1, "the first install to start");
  let bDone = false;
  const b = second.prepare({ specs: ["shared@1"], allowScripts: false, timeoutMs: 60_000 }).finally(() => (bDone = true));
  await clock.advanceAsync(500);
  assert.equal(bDone, false, "waiting on the lock");
  installer.release();
  // The first raylet's install ends (in real time: files written, the lock released); only
  // then is the second one's fake time moved on, to its next look at the lock.
  const ha = await a;
  await until(() => bDone, "the second raylet to get the env", clock);
  const hb = await b;
  assert.equal(installer.calls.length, 1);
  assert.equal(ha.nodeModules, hb.nodeModules);
  assert.equal(envDirs(root).length, 1);
  ha.release();
  hb.release();
});

test("a failed install: RuntimeEnvSetupError with the end of npm's output, nothing left, the next request tries again", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const root = newRoot();
  const e = envs(installer, clock, { root });
  installer.result = { ok: false, reason: "npm install exited with code 1", output: "npm error code E404\nnpm error 404 Not Found - nope@1" };
  await assert.rejects(e.prepare({ specs: ["nope@1"], allowScripts: false, timeoutMs: 60_000 }), (err: unknown) => {
    assert.ok(err instanceof RuntimeEnvSetupError);
    assert.match(err.message, /installing npm packages nope@1 on node n1/);
    assert.match(err.message, /exited with code 1/);
    assert.match(err.message, /E404/);
    return true;
  });
  assert.deepEqual(fs.readdirSync(root), [], "no env, temp folder or lock left");
  installer.result = { ok: true };
  (await e.prepare({ specs: ["nope@1"], allowScripts: false, timeoutMs: 60_000 })).release();
  assert.equal(installer.calls.length, 2);
});

test("the installer gets the time left and whether scripts run", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const e = envs(installer, clock);
  (await e.prepare({ specs: ["s@1"], allowScripts: true, timeoutMs: 5000 })).release();
  assert.equal(installer.calls[0]?.allowScripts, true);
  assert.equal(installer.calls[0]?.timeoutMs, 5000);
});

test("a request joining an install fails at its own deadline; the install goes on for the first", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const e = envs(installer, clock);
  installer.hold();
  const first = e.prepare({ specs: ["slow@1"], allowScripts: false, timeoutMs: 60_000 });
  await until(() => installer.calls.length === 1, "the install to start");
  const late = e.prepare({ specs: ["slow@1"], allowScripts: false, timeoutMs: 1000 });
  const rejected = assert.rejects(late, (err: unknown) => err instanceof RuntimeEnvSetupError && /not done within 1000 ms/.test(err.message));
  await clock.advanceAsync(1000);
  await rejected;
  installer.release();
  (await first).release();
});

test("a raylet waiting on another's lock past its deadline fails naming the holder", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const root = newRoot();
  const holder = envs(installer, clock, { root });
  const waiter = envs(installer, clock, { root });
  installer.hold();
  const first = holder.prepare({ specs: ["locked@1"], allowScripts: false, timeoutMs: 60_000 });
  await until(() => installer.calls.length === 1, "the install to start");
  let failure: unknown;
  const waiting = waiter.prepare({ specs: ["locked@1"], allowScripts: false, timeoutMs: 1000 }).catch((err: unknown) => (failure = err));
  await until(() => failure !== undefined, "the waiter to give up", clock);
  await waiting;
  assert.ok(failure instanceof RuntimeEnvSetupError);
  assert.match(failure.message, new RegExp(`another process \\(pid ${process.pid}\\) was still installing`));
  installer.release();
  (await first).release();
});

function endedPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

test("a new install deletes the least recently used envs over the cap, not those a running process pins", async () => {
  const clock = new FakeClock(1000);
  const installer = new FakeInstaller();
  const root = newRoot();
  const e = envs(installer, clock, { root, capBytes: 2500 });
  const specsOf = (dir: string): string[] => (JSON.parse(fs.readFileSync(path.join(root, dir, "lux-env.json"), "utf8")) as { specs: string[] }).specs;
  const installed = async (spec: string, workerPid: number): Promise<void> => {
    const h = await e.prepare({ specs: [spec], allowScripts: false, timeoutMs: 60_000 });
    h.pin(workerPid);
    h.release();
    // Deterministic recency: each env used one second after the previous one.
    const at = new Date(Date.now() - 100_000 + installer.calls.length * 1000);
    fs.utimesSync(path.join(h.nodeModules, "..", ".last-used"), at, at);
  };
  await installed("old@1", endedPid());
  await installed("pinned@1", process.pid); // a running "worker"
  await installed("mid@1", endedPid());
  // Three envs of ~1 KB each are over 2.5 KB: the oldest not pinned went (old@1).
  assert.deepEqual(envDirs(root).map(specsOf).flat().sort(), ["mid@1", "pinned@1"]);
  await installed("new@1", endedPid());
  // Over again: old@1 is gone, pinned@1 is in use, so mid@1 goes.
  assert.deepEqual(envDirs(root).map(specsOf).flat().sort(), ["new@1", "pinned@1"]);
});
