/**
 * Issue points 2 and 3: drivers in plain JavaScript and TypeScript, and the life cycle of
 * a private cluster: init, options, shutdown, a second driver joining, and the cluster
 * going away with its driver (SIGKILL, or a script that simply ends).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import * as lux from "lux";
import { descendants, fixtures, pidAlive, runScript, startScript, waitFor } from "./helpers.js";

const pidOf = lux.remote(() => process.pid);
const namespaceInTask = lux.remote(() => lux.getRuntimeContext().namespace);
const sleepy = lux.remote(async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});

class Counter {
  n = 0;
  incr(by: number): number {
    return (this.n += by);
  }
  pid(): number {
    return process.pid;
  }
  async slow(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
}
const CounterActor = lux.remote(Counter);

/** The file through which other drivers on this machine find a cluster's token. */
function tokenFile(address: string): string {
  const root = process.env["LUX_SESSION_DIR_ROOT"] ?? "/tmp/lux";
  return path.join(root, "tokens", address.replace(/[^\w.-]/g, "_"));
}

/** The JSON after `prefix` on a line of the output. */
function result<T>(stdout: string, prefix = "RESULT"): T {
  const m = new RegExp(`^${prefix} (.*)$`, "m").exec(stdout);
  assert.ok(m !== null, `no ${prefix} line in output:\n${stdout}`);
  return JSON.parse(m[1] as string) as T;
}

after(async () => {
  await lux.shutdown();
});

describe("drivers", () => {
  test("a plain .mjs script run with `node` imports lux and runs tasks and an actor", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "lifecycle-plain.mjs"), { loader: false });
    assert.equal(code, 0, stderr);
    const r = result<{ driverPid: number; tasks: { value: number; pid: number }[]; actor: { n: number; pid: number } }>(stdout);
    assert.deepEqual(
      r.tasks.map((t) => t.value),
      [1, 4, 9],
    );
    assert.equal(r.actor.n, 7);
    for (const pid of [...r.tasks.map((t) => t.pid), r.actor.pid]) assert.notEqual(pid, r.driverPid, "ran in the driver");
  });

  test("a TypeScript driver's workers load its .ts modules with the driver's loader", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "lifecycle-ts-driver.ts"));
    assert.equal(code, 0, stderr);
    type Scaled = { value: number; helperLoadedIn: number; pid: number };
    const r = result<{ driverPid: number; task: Scaled; actor: Scaled }>(stdout);
    assert.equal(r.task.value, 15);
    assert.equal(r.actor.value, 40);
    for (const x of [r.task, r.actor]) {
      assert.notEqual(x.pid, r.driverPid, "ran in the driver");
      // The helper module was evaluated in the worker itself, not shipped as a value.
      assert.equal(x.helperLoadedIn, x.pid);
    }
  });
});

describe("init and shutdown", () => {
  test("init() boots the job's workers (one per CPU) while the cluster starts: they exist before any task, and the first task runs on one", async () => {
    await lux.init({ numCpus: 2 });
    try {
      const workers = (): number[] =>
        descendants(process.pid).filter((pid) => {
          try {
            const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
            return argv.includes("worker-main") && !argv.includes("raylet"); // the raylet names worker-main in its flags
          } catch {
            return false;
          }
        });
      await waitFor(() => workers().length === 2, "2 workers started ahead of the first task");
      const ahead = workers();
      assert.ok(ahead.includes(await lux.get(pidOf.remote())), "the first task ran on a worker started ahead");
    } finally {
      await lux.shutdown();
    }
  });

  test("init() starts a private cluster that shutdown() ends entirely, failing what is pending", async () => {
    assert.equal(lux.isInitialized(), false);
    const before = new Set(descendants(process.pid));
    const { address } = await lux.init();
    assert.equal(lux.isInitialized(), true);
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    assert.equal((await lux.clusterResources())["CPU"], os.availableParallelism(), "numCpus defaults to the cores");

    const counter = CounterActor.remote();
    const [taskPid, actorPid] = await Promise.all([lux.get(pidOf.remote()), lux.get(counter.pid.remote())]);
    const started = descendants(process.pid).filter((p) => !before.has(p));
    // control service, raylet, the task's worker and the actor's worker
    assert.ok(started.length >= 4, `expected at least 4 processes, got ${started.join(", ")}`);
    assert.ok(started.includes(taskPid) && started.includes(actorPid), "workers are descendants of the driver");
    assert.ok(fs.existsSync(tokenFile(address)), "the token file is written");
    // Work still running or queued at shutdown: its results are never coming.
    const pending = [sleepy.remote(120_000), counter.slow.remote(120_000), counter.slow.remote(1)].map((ref) =>
      lux.get(ref).then(
        () => assert.fail("a result arrived after shutdown()"),
        (e: unknown) => e,
      ),
    );

    await lux.shutdown();
    for (const error of await Promise.all(pending)) assert.ok(error instanceof lux.TaskCancelledError, String(error));
    assert.throws(() => lux.put(1), lux.NotInitializedError);
    assert.equal(lux.isInitialized(), false);
    const alive = started.filter(pidAlive);
    assert.deepEqual(alive, [], "processes left after shutdown()");
    assert.equal(fs.existsSync(tokenFile(address)), false, "the token file is removed");
    await lux.shutdown(); // a second shutdown is harmless
  });

  test("init() after shutdown() works, and the init options reach the cluster", async () => {
    await lux.init({
      numCpus: 3,
      numGpus: 2,
      resources: { accel: 4 },
      objectStoreMemory: 16 * 1024 * 1024,
      namespace: "lifecycle-options",
    });
    try {
      const total = await lux.clusterResources();
      assert.equal(total["CPU"], 3);
      assert.equal(total["GPU"], 2);
      assert.equal(total["accel"], 4);
      assert.equal(lux.getRuntimeContext().namespace, "lifecycle-options");
      assert.equal(await lux.get(namespaceInTask.remote()), "lifecycle-options");
      // The object store holds 16 MiB: 1 MiB fits, 20 MiB does not.
      const small = new Uint8Array(1024 * 1024).fill(7);
      assert.deepEqual(await lux.get(lux.put(small)), small);
      // (put may refuse at once, or the upload fail and get reject: either way, this store's size.)
      await assert.rejects(
        async () => lux.get(lux.put(new Uint8Array(20 * 1024 * 1024))),
        (e: unknown) => e instanceof lux.ObjectStoreFullError && e.capacity === 16 * 1024 * 1024,
      );
    } finally {
      await lux.shutdown();
    }
  });

  test("init() rejects unknown options and node resources with an address", async () => {
    await assert.rejects(lux.init({ numCPUs: 2 } as lux.InitOptions), lux.InvalidOptionError);
    await assert.rejects(lux.init({ numCpus: -1 }), lux.InvalidOptionError);
    await assert.rejects(lux.init({ address: "127.0.0.1:1", numCpus: 1 }), lux.InvalidOptionError);
    assert.equal(lux.isInitialized(), false);
  });
});

describe("a second driver", () => {
  test("init({ address }) joins another driver's private cluster through its token file", async () => {
    assert.equal(process.env["LUX_TOKEN"], undefined, "the token must come from the token file");
    const { address } = await lux.init({ numCpus: 2, namespace: "lifecycle-shared" });
    try {
      const file = tokenFile(address);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, "only the user may read the token file");
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o077, 0, "only the user may enter the token directory");
      const counter = CounterActor.options({ name: "shared-counter" }).remote();
      assert.equal(await lux.get(counter.incr.remote(1)), 1);

      const env = { LUX_ADDRESS_UNDER_TEST: address, LUX_NAMESPACE_UNDER_TEST: "lifecycle-shared", LUX_ACTOR_UNDER_TEST: "shared-counter" };
      const joined = await runScript(path.join(fixtures, "lifecycle-connect.ts"), { env });
      assert.equal(joined.code, 0, joined.stderr);
      const r = result<{ address: string; task: { sum: number; pid: number }; count: number; namespace: string }>(joined.stdout);
      assert.equal(r.address, address);
      assert.equal(r.task.sum, 42);
      assert.equal(r.count, 11, "the second driver called the first driver's named actor");
      assert.equal(r.namespace, "lifecycle-shared");
      // The second driver's exit ends its job, not the cluster or the first driver's actor.
      assert.equal(await lux.get(counter.incr.remote(1)), 12);

      const refused = await runScript(path.join(fixtures, "lifecycle-connect.ts"), { env: { ...env, LUX_TOKEN: "not-the-token" } });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /wrong or missing cluster token/);
      assert.equal(await lux.get(counter.incr.remote(1)), 13);

      // A joined driver that is SIGKILLed takes its own actors with it, and only those.
      const holder = startScript(path.join(fixtures, "lifecycle-connect-hold.ts"), { env });
      try {
        const ready = JSON.parse((await holder.line(/^READY (.*)$/m))[1] as string) as { actor: number };
        assert.ok(pidAlive(ready.actor));
        holder.kill("SIGKILL");
        await holder.exited();
        await waitFor(() => !pidAlive(ready.actor), `the killed driver's actor (pid ${ready.actor}) to exit`, 15_000);
      } finally {
        holder.kill("SIGKILL");
      }
      assert.equal(await lux.get(counter.incr.remote(1)), 14);
    } finally {
      await lux.shutdown();
    }
  });
});

describe("the cluster goes away with its driver", () => {
  test("SIGKILL of the driver ends its control service, raylet, workers and actors", async () => {
    const script = startScript(path.join(fixtures, "lifecycle-killed.ts"));
    try {
      const m = await script.line(/^READY (.*)$/m);
      const ready = JSON.parse(m[1] as string) as { address: string; actor: number; task: number };
      const pids = descendants(script.child.pid ?? 0);
      assert.ok(pids.length >= 4, `expected control service, raylet and 2 workers, got ${pids.join(", ")}`);
      assert.ok(pids.includes(ready.actor) && pids.includes(ready.task));
      script.kill("SIGKILL");
      await script.exited();
      await waitFor(() => pids.every((p) => !pidAlive(p)), `processes ${pids.join(", ")} of the killed driver to exit`, 15_000);
      await waitFor(() => !fs.existsSync(tokenFile(ready.address)), "the token file of the dead cluster to be removed", 5_000);
    } finally {
      script.kill("SIGKILL");
    }
  });

  test("a driver script that never calls shutdown() exits when its work is done", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "lifecycle-no-shutdown.ts"), { timeoutMs: 60_000 });
    assert.equal(code, 0, `the script did not exit by itself (killed after 60 s)\n${stderr}`);
    const r = result<{ address: string; values: number[]; greeting: string; pids: number[] }>(stdout);
    assert.deepEqual(r.values, [2, 4]);
    assert.equal(r.greeting, "hello lux");
    assert.ok(r.pids.length >= 4, `expected control service, raylet and 2 workers, got ${r.pids.join(", ")}`);
    await waitFor(() => r.pids.every((p) => !pidAlive(p)), `processes ${r.pids.join(", ")} of the ended driver to exit`, 15_000);
    await waitFor(() => !fs.existsSync(tokenFile(r.address)), "the token file of the ended cluster to be removed", 5_000);
  });
});
