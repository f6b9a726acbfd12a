/**
 * Issue 15, point 9: `runtimeEnv.npm`, with the real npm and no network (tarballs made by
 * `npm pack` from fixtures/npm-packages, npm offline with a cache of its own). Specs are
 * checked at the call site; packages are installed once per node into a cache shared by the
 * machine's raylets; the job's code imports and requires them before the node's own
 * packages; two versions run side by side in two actors; install scripts run only with
 * npmAllowScripts; an npm failure or setupTimeoutMs fails the work that needed the env with
 * RuntimeEnvSetupError and the end of npm's output, and the raylet goes on; envs over the
 * cache's cap are deleted least recently used first, never one a running worker uses.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import * as lux from "lux";
import { fixtures, pidAlive, root, waitFor, withCluster } from "./helpers.js";

const GET_MS = 60_000;
const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lux-npm-env-test-")));
const tarball = (name: string): string => `file:${path.join(work, name)}`;
const GREET_1 = tarball("lux-fixture-greet-1.0.0.tgz");
const GREET_2 = tarball("lux-fixture-greet-2.0.0.tgz");
const SCRIPTED = tarball("lux-fixture-scripted-1.0.0.tgz");

type Tasks = typeof import("./fixtures/runtime-env-npm-app/tasks.js");
let app: Tasks;

/** npm never reaches the network nor the user's cache: every process started from here inherits this. */
function isolateNpm(): void {
  process.env["npm_config_cache"] = path.join(work, "npm-cache");
  process.env["npm_config_offline"] = "true";
  process.env["npm_config_update_notifier"] = "false";
}

function pack(dir: string): void {
  const r = spawnSync("npm", ["pack", "--pack-destination", work], { cwd: path.join(fixtures, "npm-packages", dir), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * The fixture app in a temp dir, beside a node_modules of its own: the `lux` link the driver
 * imports through, and a lux-fixture-greet 0.0.0-local that the usual resolution finds.
 */
async function makeApp(): Promise<Tasks> {
  const dir = path.join(work, "app");
  fs.mkdirSync(path.join(dir, "node_modules", "lux-fixture-greet"), { recursive: true });
  fs.copyFileSync(path.join(fixtures, "runtime-env-npm-app", "tasks.ts"), path.join(dir, "tasks.ts"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "npm-env-app", type: "module" }));
  fs.symlinkSync(path.join(root, "packages", "lux"), path.join(dir, "node_modules", "lux"), "dir");
  const local = path.join(dir, "node_modules", "lux-fixture-greet");
  fs.writeFileSync(path.join(local, "package.json"), JSON.stringify({ name: "lux-fixture-greet", version: "0.0.0-local", main: "index.cjs" }));
  fs.writeFileSync(path.join(local, "index.cjs"), 'exports.version = "0.0.0-local";\nexports.greet = (n) => `local, ${n}`;\n');
  return (await import(pathToFileURL(path.join(dir, "tasks.ts")).href)) as Tasks;
}

before(async () => {
  isolateNpm();
  for (const dir of ["greet-1", "greet-2", "scripted"]) pack(dir);
  app = await makeApp();
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The envs in a cache folder, as the specs each was installed from. */
function cachedEnvs(cache: string): string[][] {
  if (!fs.existsSync(cache)) return [];
  return fs
    .readdirSync(cache)
    .filter((n) => /^env_[0-9a-f]+$/.test(n))
    .map((n) => (JSON.parse(fs.readFileSync(path.join(cache, n, "lux-env.json"), "utf8")) as { specs: string[] }).specs.map((s) => path.basename(s)))
    .sort();
}

const isSetupError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof lux.RuntimeEnvSetupError, `expected RuntimeEnvSetupError, got ${String(e)}`);
  assert.equal(e.code, "LUX_RUNTIME_ENV_SETUP_FAILED");
  assert.match(e.message, pattern);
  return true;
};

describe("runtimeEnv.npm is checked at the call site", () => {
  const f = lux.remote((x: number) => x);
  class C {}
  const A = lux.remote(C);

  it("names the bad entry in InvalidOptionError, for tasks, actors and lux.init", async () => {
    const cases: [unknown, string][] = [
      [{ npm: "lux-fixture-greet" }, "runtimeEnv.npm"],
      [{ npm: ["lux-fixture-greet@1", 7] }, "runtimeEnv.npm[1]"],
      [{ npm: ["--global"] }, "runtimeEnv.npm[0]"],
      [{ npm: ["not a name"] }, "runtimeEnv.npm[0]"],
      [{ npm: ["file:"] }, "runtimeEnv.npm[0]"],
      [{ npmAllowScripts: 1 }, "runtimeEnv.npmAllowScripts"],
      [{ setupTimeoutMs: 0 }, "runtimeEnv.setupTimeoutMs"],
    ];
    for (const [runtimeEnv, option] of cases) {
      for (const make of [() => f.options({ runtimeEnv } as never), () => A.options({ runtimeEnv } as never)]) {
        assert.throws(make, (e: unknown) => e instanceof lux.InvalidOptionError && e.option === option, JSON.stringify(runtimeEnv));
      }
    }
    await assert.rejects(lux.init({ runtimeEnv: { npm: ["ok", ""] } }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "runtimeEnv.npm[1]");
    assert.equal(lux.isInitialized(), false);
  });
});

describe("runtimeEnv.npm on a private cluster", () => {
  const cache = path.join(work, "cache-private");

  before(async () => {
    await lux.init({ numCpus: 2, runtimeEnv: { npm: [GREET_1] }, systemConfig: { runtimeEnvNpmCacheDir: cache } });
  });

  after(async () => {
    await lux.shutdown();
  });

  it("the job's packages: import and require find them, before the app's own node_modules", async () => {
    const got = await lux.get(app.importGreet.remote("lux"), { timeoutMs: GET_MS });
    assert.equal(got.version, "1.0.0");
    assert.equal(got.text, "hello, lux");
    assert.ok(got.envDir?.startsWith(path.join(cache, "env_")), String(got.envDir));
    assert.deepEqual(await lux.get(app.requireGreet.remote("lux"), { timeoutMs: GET_MS }), { version: "1.0.0", text: "hello, lux" });
    // npm: [] replaces the job's list with none: the usual resolution finds the app's own copy.
    const without = app.importGreet.options({ runtimeEnv: { npm: [] } });
    const local = await lux.get(without.remote("lux"), { timeoutMs: GET_MS });
    assert.deepEqual([local.version, local.envDir], ["0.0.0-local", null]);
  });

  it("two versions side by side: each actor sees its own env's", async () => {
    const one = app.Greeter.remote();
    const two = app.Greeter.options({ runtimeEnv: { npm: [GREET_2] } }).remote();
    const [v1, v2, s1, s2, p1, p2] = await lux.get(
      [one.version.remote(), two.version.remote(), one.hasShout.remote(), two.hasShout.remote(), one.pid.remote(), two.pid.remote()],
      { timeoutMs: GET_MS },
    );
    assert.deepEqual([v1, v2, s1, s2], ["1.0.0", "2.0.0", false, true]);
    assert.notEqual(p1, p2);
    assert.notEqual(await lux.get(one.where.remote(), { timeoutMs: GET_MS }), await lux.get(two.where.remote(), { timeoutMs: GET_MS }));
    await lux.kill(one);
    await lux.kill(two);
  });

  it("installs a set of specs once per node: concurrent workers of other envVars share it", async () => {
    const specs = [GREET_2, SCRIPTED];
    const before = cachedEnvs(cache).length;
    const refs = ["a", "b", "c", "d"].map((k) => app.importGreet.options({ runtimeEnv: { npm: specs, envVars: { WHICH: k } } }).remote(k));
    const got = await lux.get(refs, { timeoutMs: GET_MS });
    assert.deepEqual(got.map((g) => g.version), ["2.0.0", "2.0.0", "2.0.0", "2.0.0"]);
    assert.equal(new Set(got.map((g) => g.pid)).size > 1, true, "several workers");
    assert.equal(new Set(got.map((g) => g.envDir)).size, 1, "one env");
    assert.equal(cachedEnvs(cache).length, before + 1);
    assert.deepEqual(fs.readdirSync(cache).filter((n) => n.startsWith(".tmp-") || n.endsWith(".lock")), [], "no install or lock left");
  });

  it("install scripts run only with npmAllowScripts", async () => {
    const off = app.scriptRan.options({ runtimeEnv: { npm: [SCRIPTED] } });
    const on = app.scriptRan.options({ runtimeEnv: { npm: [SCRIPTED], npmAllowScripts: true } });
    assert.deepEqual(await lux.get([off.remote(), on.remote()], { timeoutMs: GET_MS }), [false, true]);
  });

  it("an npm failure fails the task or actor that needed it with RuntimeEnvSetupError and npm's output; the raylet goes on", async () => {
    const unknown = app.importGreet.options({ runtimeEnv: { npm: ["lux-fixture-greet@9.9.9"] } });
    await assert.rejects(lux.get(unknown.remote("x"), { timeoutMs: GET_MS }), isSetupError(/installing npm packages lux-fixture-greet@9\.9\.9 on node .*ENOTCACHED/s));
    const missing = app.importGreet.options({ runtimeEnv: { npm: [tarball("no-such-package.tgz")] } });
    await assert.rejects(lux.get(missing.remote("x"), { timeoutMs: GET_MS }), isSetupError(/no-such-package\.tgz.*(ENOENT|no such file)/s));
    const actor = app.Greeter.options({ runtimeEnv: { npm: ["lux-fixture-greet@9.9.9"] } }).remote();
    await assert.rejects(lux.get(actor.version.remote(), { timeoutMs: GET_MS }), (e: unknown) => {
      assert.ok(e instanceof lux.ActorDiedError, String(e));
      return isSetupError(/ENOTCACHED/)(e.cause);
    });
    assert.equal((await lux.get(app.importGreet.remote("still"), { timeoutMs: GET_MS })).text, "hello, still");
  });

  it("setupTimeoutMs: an install past it is stopped and fails the task; the next try installs", async () => {
    const specs = [GREET_1, SCRIPTED]; // not installed yet
    const hurried = app.importGreet.options({ runtimeEnv: { npm: specs, setupTimeoutMs: 1 } });
    await assert.rejects(lux.get(hurried.remote("x"), { timeoutMs: GET_MS }), isSetupError(/did not finish within 1 ms/));
    assert.deepEqual(fs.readdirSync(cache).filter((n) => n.startsWith(".tmp-")), [], "the stopped install was removed");
    const patient = app.importGreet.options({ runtimeEnv: { npm: specs } });
    assert.equal((await lux.get(patient.remote("x"), { timeoutMs: GET_MS })).version, "1.0.0");
  });
});

describe("runtimeEnv.npm on a LocalCluster: one cache per machine, its size cap", () => {
  const cache = path.join(work, "cache-cluster");
  let far: string;
  /** Workers that ran with greet 1 (idle once their task is done, stopped after idleWorkerKeepMs). */
  const greet1Pids: number[] = [];

  withCluster(
    {
      head: { numCpus: 1 },
      // Every new env is over this cap: each install deletes what no running worker uses.
      config: { runtimeEnvNpmCacheDir: cache, runtimeEnvNpmCacheBytes: 1, idleWorkerKeepMs: 300, workerReapIntervalMs: 100 },
    },
    async (cluster) => {
      far = (await cluster.addNode({ numCpus: 1, resources: { far: 1 } })).nodeId;
      await cluster.waitForNodes(2);
      await lux.init({ address: cluster.address });
    },
  );

  it("the raylets of two nodes on one machine share one install", async () => {
    const env = { runtimeEnv: { npm: [GREET_1] } };
    const [here, there] = await lux.get(
      [app.importGreet.options(env).remote("here"), app.importGreet.options({ ...env, resources: { far: 1 } }).remote("there")],
      { timeoutMs: GET_MS },
    );
    assert.equal(there.nodeId, far);
    assert.notEqual(here.nodeId, far);
    assert.deepEqual([here.version, there.version], ["1.0.0", "1.0.0"]);
    assert.equal(here.envDir, there.envDir);
    assert.deepEqual(cachedEnvs(cache), [["lux-fixture-greet-1.0.0.tgz"]]);
    greet1Pids.push(here.pid, there.pid);
  });

  it("over the cap, a new install deletes the least recently used envs, not one a running worker uses", async () => {
    // Actors keep their workers, and so their envs, in use.
    const one = app.Greeter.options({ runtimeEnv: { npm: [GREET_1] } }).remote();
    const onePid = await lux.get(one.pid.remote(), { timeoutMs: GET_MS });
    const two = app.Greeter.options({ runtimeEnv: { npm: [GREET_2] } }).remote();
    assert.equal(await lux.get(two.version.remote(), { timeoutMs: GET_MS }), "2.0.0");
    // Installing greet 2 put the cache over its cap, but greet 1 is in use.
    assert.deepEqual(cachedEnvs(cache), [["lux-fixture-greet-1.0.0.tgz"], ["lux-fixture-greet-2.0.0.tgz"]]);
    // Once no worker of greet 1 runs (the actor killed, the tasks' idle workers stopped), a new install deletes it.
    await lux.kill(one);
    await waitFor(() => [onePid, ...greet1Pids].every((pid) => !pidAlive(pid)), "the workers of greet 1 to end");
    assert.equal(await lux.get(app.scriptRan.options({ runtimeEnv: { npm: [SCRIPTED] } }).remote(), { timeoutMs: GET_MS }), false);
    assert.deepEqual(cachedEnvs(cache), [["lux-fixture-greet-2.0.0.tgz"], ["lux-fixture-scripted-1.0.0.tgz"]]);
    assert.equal(await lux.get(two.version.remote(), { timeoutMs: GET_MS }), "2.0.0");
    await lux.kill(two);
  });
});
