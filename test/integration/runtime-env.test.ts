/**
 * Issue 4, point 5: code and environment on other nodes through `runtimeEnv`. envVars reach
 * tasks and actors (job level, per task, merged); workingDir is packed, unpacked once per
 * node and becomes the workers' cwd, with module URLs mapped into the copy; excludes and
 * node_modules stay behind; a workingDir over the size cap fails init with
 * RuntimeEnvSetupError; bad options throw InvalidOptionError at the call site; and a task on
 * a second node of a LocalCluster sees the same working dir.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { fixtures, root, runScript } from "./helpers.js";

const GET_MS = 60_000;
const APP = path.join(fixtures, "runtime-env-app");

/**
 * A copy of the fixture app in a temp dir (the test modifies it), with what must not be
 * shipped: an excluded directory, a log file, and a node_modules of its own (holding a
 * marker and the `lux` link the driver imports through).
 */
function makeApp(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lux-runtime-env-")));
  fs.cpSync(APP, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, "secret"));
  fs.writeFileSync(path.join(dir, "secret", "key.txt"), "not for workers");
  fs.writeFileSync(path.join(dir, "debug.log"), "noise");
  fs.mkdirSync(path.join(dir, ".git"));
  fs.writeFileSync(path.join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.writeFileSync(path.join(dir, "node_modules", "marker.txt"), "the driver's own node_modules");
  fs.symlinkSync(path.join(root, "packages", "lux"), path.join(dir, "node_modules", "lux"), "dir");
  return dir;
}

type Tasks = typeof import("./fixtures/runtime-env-app/tasks.js");
const importApp = (dir: string): Promise<Tasks> => import(pathToFileURL(path.join(dir, "tasks.ts")).href) as Promise<Tasks>;

describe("runtimeEnv options are checked at the call site", () => {
  const f = lux.remote((x: number) => x);
  class C {}
  const A = lux.remote(C);

  it("names the field of an invalid runtimeEnv in InvalidOptionError", () => {
    const cases: [unknown, string][] = [
      [{ envVars: { A: 1 } }, "runtimeEnv.envVars.A"],
      [{ envVars: ["A"] }, "runtimeEnv.envVars"],
      [{ workingDirectory: "." }, "runtimeEnv.workingDirectory"],
      [{ workingDir: path.join(APP, "does-not-exist") }, "runtimeEnv.workingDir"],
      [{ workingDir: path.join(APP, "package.json") }, "runtimeEnv.workingDir"],
      [{ excludes: "secret/" }, "runtimeEnv.excludes"],
      [{ includeNodeModules: "yes" }, "runtimeEnv.includeNodeModules"],
      ["env", "runtimeEnv"],
    ];
    for (const [runtimeEnv, option] of cases) {
      for (const make of [() => f.options({ runtimeEnv } as never), () => A.options({ runtimeEnv } as never)]) {
        assert.throws(make, (e: unknown) => e instanceof lux.InvalidOptionError && e.option === option, `runtimeEnv ${JSON.stringify(runtimeEnv)}`);
      }
    }
  });

  it("rejects lux.init with an invalid runtimeEnv before starting anything", async () => {
    await assert.rejects(
      lux.init({ runtimeEnv: { envVars: { A: 1 as unknown as string } } }),
      (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "runtimeEnv.envVars.A",
    );
    assert.equal(lux.isInitialized(), false);
  });
});

describe("runtimeEnv on a private cluster", () => {
  let dir: string;
  let app: Tasks;

  before(async () => {
    dir = makeApp();
    app = await importApp(dir);
    await lux.init({
      numCpus: 2,
      runtimeEnv: { workingDir: dir, envVars: { JOB_ONLY: "job", SHARED: "from-job" }, excludes: ["secret/", "*.log"] },
    });
  });

  after(async () => {
    await lux.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gives tasks the job's envVars, merged key by key with the task's", async () => {
    const names = ["JOB_ONLY", "SHARED", "TASK_ONLY"];
    assert.deepEqual(await lux.get(app.envOf.remote(names), { timeoutMs: GET_MS }), { JOB_ONLY: "job", SHARED: "from-job", TASK_ONLY: null });
    const perTask = app.envOf.options({ runtimeEnv: { envVars: { SHARED: "from-task", TASK_ONLY: "task" } } });
    assert.deepEqual(await lux.get(perTask.remote(names), { timeoutMs: GET_MS }), { JOB_ONLY: "job", SHARED: "from-task", TASK_ONLY: "task" });
    // Workers of the other runtime env are not reused: the plain task still sees the job's values.
    assert.deepEqual(await lux.get(app.envOf.remote(names), { timeoutMs: GET_MS }), { JOB_ONLY: "job", SHARED: "from-job", TASK_ONLY: null });
  });

  it("gives actors the job's envVars merged with their own", async () => {
    const plain = app.EnvActor.remote();
    const own = app.EnvActor.options({ runtimeEnv: { envVars: { SHARED: "from-actor" } } }).remote();
    assert.deepEqual(
      await lux.get([plain.env.remote("SHARED"), own.env.remote("SHARED"), own.env.remote("JOB_ONLY")], { timeoutMs: GET_MS }),
      ["from-job", "from-actor", "job"],
    );
    assert.notEqual(await lux.get(own.cwd.remote(), { timeoutMs: GET_MS }), dir);
    await lux.kill(plain);
    await lux.kill(own);
  });

  it("runs tasks in the unpacked copy of workingDir, importing its modules from there", async () => {
    const seen = await lux.get(app.readData.remote(), { timeoutMs: GET_MS });
    assert.equal(seen.text, "hello from the working dir");
    assert.equal(seen.greeting, "hello, lux");
    assert.notEqual(seen.cwd, dir);
    assert.match(path.basename(seen.cwd), /^pkg_[0-9a-f]{64}$/);
    assert.equal(path.basename(path.dirname(seen.cwd)), "runtime_resources");
    assert.equal(seen.moduleUrl, pathToFileURL(path.join(seen.cwd, "tasks.ts")).href);
    // The package was made at init: changing the original now changes nothing tasks see.
    fs.writeFileSync(path.join(dir, "data", "message.txt"), "changed after init");
    const fresh = app.readData.options({ runtimeEnv: { envVars: { FRESH_WORKER: "1" } } });
    assert.equal((await lux.get(fresh.remote(), { timeoutMs: GET_MS })).text, "hello from the working dir");
    assert.equal((await lux.get(app.EnvActor.remote().read.remote(), { timeoutMs: GET_MS })), "hello from the working dir");
  });

  it("leaves excludes, .git and the driver's node_modules behind; links the node's node_modules", async () => {
    const paths = ["data/message.txt", "greet.ts", "secret", "secret/key.txt", "debug.log", ".git", "node_modules", "node_modules/marker.txt", "node_modules/lux"];
    const got = await lux.get(app.kinds.remote(paths), { timeoutMs: GET_MS });
    assert.deepEqual(got, ["file", "file", "absent", "absent", "absent", "absent", "symlink", "absent", "symlink"]);
  });

  it("packs a task's own workingDir, replacing the job's", async () => {
    const other = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lux-runtime-env-other-")));
    try {
      fs.mkdirSync(path.join(other, "data"));
      fs.writeFileSync(path.join(other, "data", "message.txt"), "from the task's own dir\n");
      const kindsHere = app.kinds.options({ runtimeEnv: { workingDir: other } });
      // tasks.ts lives in the job's dir, not this one: the function travels by reference to
      // its original module; only the cwd is the new package.
      assert.deepEqual(await lux.get(kindsHere.remote(["data/message.txt", "greet.ts"]), { timeoutMs: GET_MS }), ["file", "absent"]);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("runtimeEnv size cap", () => {
  it("fails lux.init with RuntimeEnvSetupError naming the size, the cap and excludes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-runtime-env-big-"));
    try {
      fs.writeFileSync(path.join(dir, "big.bin"), Buffer.alloc(4096, 7));
      const run = await runScript(path.join(fixtures, "runtime-env-oversize.ts"), {
        args: [dir],
      });
      assert.equal(run.code, 0, run.stderr);
      const line = run.stdout.trim().split("\n").at(-1) ?? "";
      const out = JSON.parse(line) as { name: string; code: string; message: string; isClass: boolean };
      assert.equal(out.name, "RuntimeEnvSetupError");
      assert.equal(out.code, "LUX_RUNTIME_ENV_SETUP_FAILED");
      assert.equal(out.isClass, true);
      assert.match(out.message, /4096 bytes/);
      assert.match(out.message, /cap of 1000 bytes/);
      assert.match(out.message, /runtimeEnv\.excludes/);
      assert.match(out.message, /LUX_RUNTIME_ENV_MAX_BYTES/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("runtimeEnv on a second node", () => {
  let cluster: LocalCluster;
  let dir: string;

  before(async () => {
    dir = makeApp();
    cluster = await LocalCluster.start({ head: { numCpus: 1 } });
  });

  after(async () => {
    await lux.shutdown();
    await cluster.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("unpacks workingDir on the node that runs the task", async () => {
    const node = await cluster.addNode({ numCpus: 1, resources: { far: 1 } });
    await cluster.waitForNodes(2);
    const app = await importApp(dir);
    await lux.init({ address: cluster.address, runtimeEnv: { workingDir: dir, envVars: { WHERE: "far" } } });
    const far = app.readData.options({ resources: { far: 1 } });
    const seen = await lux.get(far.remote(), { timeoutMs: GET_MS });
    assert.equal(seen.nodeId, node.nodeId);
    assert.equal(seen.text, "hello from the working dir");
    assert.equal(seen.greeting, "hello, lux");
    assert.match(path.basename(seen.cwd), /^pkg_[0-9a-f]{64}$/);
    assert.deepEqual(await lux.get(app.envOf.options({ resources: { far: 1 } }).remote(["WHERE"]), { timeoutMs: GET_MS }), { WHERE: "far" });
  });
});
