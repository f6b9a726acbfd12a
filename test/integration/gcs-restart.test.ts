/**
 * Issue 5 point 4: the control service restarts. With Redis storage nothing is lost (named
 * detached actors and their state, KV definitions, the job, the nodes); with the default
 * in-memory storage running tasks survive but its tables are gone, and the logs say so.
 * Raylets and drivers reconnect by themselves; a task running meanwhile finishes.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, describe, test } from "node:test";
import { clusterIdOf } from "@lux/gcs";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { CounterActor, triple, waitForGo } from "./fixtures/gcs-restart-defs.js";
import { pidAlive, root, runScript, waitFor } from "./helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lux-gcs-restart-"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const redisServers: ChildProcess[] = [];

/** A real redis-server on a free loopback port, with no files outside a temp dir. */
async function startRedis(): Promise<string> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(tmp, "redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  redisServers.push(child);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, "redis-server to start", 20_000);
  assert.equal(child.exitCode, null, `redis-server did not start: ${out}`);
  return `redis://127.0.0.1:${port}`;
}

/** Runs redis-cli against `storage` (redis://HOST:PORT); returns its output. */
function redisCli(storage: string, ...args: string[]): string {
  const port = storage.split(":").at(-1) as string;
  const r = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", port, ...args], { encoding: "utf8", timeout: 10_000 });
  assert.equal(r.status, 0, `redis-cli ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The keys matching `pattern`, sorted. */
function redisKeys(storage: string, pattern: string): string[] {
  return redisCli(storage, "--scan", "--pattern", pattern).split("\n").filter((k) => k !== "").sort();
}

function stopRedis(): void {
  for (const c of redisServers.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
}

let cluster: LocalCluster | undefined;

afterEach(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
  stopRedis();
});
after(() => {
  stopRedis();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Starts a task that runs until the test creates its go file; resolves once it runs. */
async function startLongTask(name: string, value: number): Promise<{ ref: lux.ObjectRef<number>; go: () => void }> {
  const started = path.join(tmp, `${name}.started`);
  const go = path.join(tmp, `${name}.go`);
  const ref = waitForGo.remote(started, go, value);
  await waitFor(() => fs.existsSync(started), `task ${name} to start`);
  return { ref, go: () => fs.writeFileSync(go, "") };
}

describe("control service restart", () => {
  test("with Redis storage: actors, names, KV, the job and the nodes survive", async () => {
    const storage = await startRedis();
    cluster = await LocalCluster.start({ gcsStorage: storage, head: { numCpus: 2 } });
    await lux.init({ address: cluster.address });
    const nodeIds = (await lux.nodes()).map((n) => n.nodeId);

    const counter = CounterActor.options({ name: "survivor", lifetime: "detached" }).remote();
    assert.equal(await lux.get(counter.incr.remote()), 1);
    assert.equal(await lux.get(triple.remote(1)), 3); // exports the definition to the KV
    assert.equal(await lux.util.kv.put("survives", "in the job's namespace"), true);
    assert.equal(await lux.util.kv.put("survives", new Uint8Array([1, 2, 3]), { namespace: "lib" }), true);
    const long = await startLongTask("redis", 42);
    const group = lux.placementGroup([{ CPU: 1 }], { name: "kept-group", lifetime: "detached" });
    assert.equal(await group.wait({ timeoutMs: 60_000 }), true);

    await cluster.restartGcs();

    long.go();
    assert.equal(await lux.get(long.ref), 42, "the task running across the restart finishes");
    const found = await lux.getActor<typeof counter extends lux.ActorHandle<infer T> ? T : never>("survivor");
    assert.equal(await lux.get(found.incr.remote()), 2, "the named actor kept its state");
    assert.equal(await lux.get(counter.incr.remote()), 3, "the old handle still works");
    // A fresh worker (another runtime env) loads the definition exported before the restart.
    assert.equal(await lux.get(triple.options({ runtimeEnv: { envVars: { GCS_RESTART: "after" } } }).remote(5)), 15);
    assert.equal(await lux.get(lux.put("still a driver")), "still a driver");
    const groupAfter = await lux.getPlacementGroup("kept-group");
    assert.equal(groupAfter.id, group.id, "the placement group survived");
    assert.equal((await lux.placementGroupTable(groupAfter)).state, "CREATED");
    assert.equal(await lux.get(triple.options({ schedulingStrategy: { placementGroup: groupAfter } }).remote(3)), 9, "work runs in the restored group");
    await lux.removePlacementGroup(groupAfter);
    // lux.util.kv's entries (issue 15 point 10), in both namespaces.
    assert.equal(new TextDecoder().decode(await lux.util.kv.get("survives")), "in the job's namespace");
    assert.deepEqual([...((await lux.util.kv.get("survives", { namespace: "lib" })) ?? [])], [1, 2, 3]);
    assert.deepEqual(await lux.util.kv.keys("surv", { namespace: "lib" }), ["survives"]);
    assert.equal(await lux.util.kv.put("survives", "again"), false, "still set after the restart");
    await waitFor(async () => {
      const nodes = await lux.nodes();
      return nodeIds.every((id) => nodes.some((n) => n.nodeId === id && n.alive));
    }, "the nodes to be alive again");
    const log = fs.readFileSync(path.join(cluster.sessionDir, "logs", "gcs.log"), "utf8");
    assert.match(log, /restored from redis/);
    assert.doesNotMatch(fs.readFileSync(path.join(cluster.sessionDir, "logs", "raylet-0.log"), "utf8"), /LOST ITS STATE/);
  });

  test("with memory storage: running tasks survive, named actors are gone, and the logs say so", async () => {
    cluster = await LocalCluster.start({ head: { numCpus: 2 } });
    await lux.init({ address: cluster.address });
    const counter = CounterActor.options({ name: "forgotten", lifetime: "detached" }).remote();
    assert.equal(await lux.get(counter.incr.remote()), 1);
    const long = await startLongTask("memory", 7);

    await cluster.restartGcs();

    long.go();
    assert.equal(await lux.get(long.ref), 7);
    await assert.rejects(lux.getActor("forgotten"), lux.ActorNotFoundError);
    const rayletLog = path.join(cluster.sessionDir, "logs", "raylet-0.log");
    await waitFor(() => /LOST ITS STATE/.test(fs.readFileSync(rayletLog, "utf8")), "the raylet's warning that the state was lost");
    // The driver exports its definitions again: new work still runs.
    assert.equal(await lux.get(triple.options({ runtimeEnv: { envVars: { GCS_RESTART: "memory" } } }).remote(2)), 6);
  });

  test("with memory storage, a restart costs no task: definitions come back, an actor being created is created", async () => {
    // Issue 24 point 9: the driver puts back its definitions and re-sends the actor creations in flight.
    cluster = await LocalCluster.start({ head: { numCpus: 2, resources: { slot: 1 } } });
    await lux.init({ address: cluster.address });
    assert.equal(await lux.get(triple.remote(0)), 0); // `triple` is exported before the restart
    // Holds the node's only `slot`: the actor below stays pending, its creation in flight.
    const started = path.join(tmp, "slot.started");
    const go = path.join(tmp, "slot.go");
    const long = waitForGo.options({ resources: { slot: 1 } }).remote(started, go, 1);
    await waitFor(() => fs.existsSync(started), "the task holding the slot to start");
    const counter = CounterActor.options({ name: "in-flight", numCpus: 0, resources: { slot: 1 } }).remote();
    await lux.getActor("in-flight"); // registered (pending) with the control service about to die
    // Tasks in runtime envs of their own start fresh workers, which load `triple` from the
    // control service: some submitted while it is down, some after it is back.
    const fresh = (tag: string) => triple.options({ runtimeEnv: { envVars: { GCS_RESTART: tag } } });
    const restarting = cluster.restartGcs();
    const during = [1, 2].map((x) => fresh("during").remote(x));
    await restarting;
    const after = [3, 4].map((x) => fresh("after").remote(x));
    assert.deepEqual(await lux.get([...during, ...after], { timeoutMs: 60_000 }), [3, 6, 9, 12]);
    fs.writeFileSync(go, "");
    assert.equal(await lux.get(long), 1);
    assert.equal(await lux.get(counter.incr.remote(), { timeoutMs: 60_000 }), 1, "the actor created across the restart is usable");
    assert.equal(await lux.get(counter.incr.remote()), 2);
  });

  test("lux start --head --storage redis://... starts, and lux stop stops", async () => {
    const storage = await startRedis();
    const sessionRoot = fs.mkdtempSync(path.join(tmp, "cli-"));
    const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };
    const luxBin = path.join(root, "packages/lux/bin/lux.js");
    const run = (...args: string[]) => runScript(luxBin, { args, env, loader: false, timeoutMs: 60_000 });
    const pids = (): number[] => {
      const dir = path.join(sessionRoot, "cli");
      if (!fs.existsSync(dir)) return [];
      return fs.readdirSync(dir).map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { pid: number }).pid);
    };
    const seen: number[] = [];
    try {
      const started = await run("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "1", "--object-store-memory", String(32 * 1024 ** 2), "--storage", storage);
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /Control service: 127\.0\.0\.1:\d+/);
      seen.push(...pids());
      assert.equal(seen.length, 3, "the control service, the raylet and the dashboard");
      // The node's registration is in Redis.
      const [nodesKey] = redisKeys(storage, "lux:*:nodes");
      assert.ok(nodesKey !== undefined, "the cluster's nodes table is in Redis");
      assert.match(redisCli(storage, "hkeys", nodesKey), /[0-9a-f]{8}/);
      const bad = await run("start", "--head", "--port", "0", "--dashboard-port", "0", "--storage", "sqlite://x");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /redis:\/\/HOST:PORT/);
      const stopped = await run("stop");
      assert.equal(stopped.code, 0, stopped.stderr);
      await waitFor(() => seen.every((p) => !pidAlive(p)), "the daemons to exit");
    } finally {
      await run("stop");
      for (const p of seen) if (pidAlive(p)) process.kill(p, "SIGKILL");
    }
  });
});

describe("records of clusters in one Redis", () => {
  test("a cluster started on a Redis holding another cluster's records ignores them", async () => {
    const storage = await startRedis();
    const first = await LocalCluster.start({ gcsStorage: storage });
    try {
      await lux.init({ address: first.address });
      const counter = CounterActor.options({ name: "first-cluster", lifetime: "detached" }).remote();
      assert.equal(await lux.get(counter.incr.remote()), 1);
      await lux.shutdown();
    } finally {
      await first.shutdown();
    }
    const firstKeys = redisKeys(storage, "lux:*");

    cluster = await LocalCluster.start({ gcsStorage: storage });
    await lux.init({ address: cluster.address });
    await assert.rejects(lux.getActor("first-cluster"), lux.ActorNotFoundError);
    assert.equal((await lux.nodes()).length, 1, "only the new cluster's node");
    assert.doesNotMatch(fs.readFileSync(path.join(cluster.sessionDir, "logs", "gcs.log"), "utf8"), /restored from/);
    // Each cluster's keys carry its id; the first one's are left alone.
    assert.ok(firstKeys.length > 0 && firstKeys.every((k) => k.startsWith(`lux:${clusterIdOf(first.token)}:`)), firstKeys.join(", "));
    assert.deepEqual(redisKeys(storage, `lux:${clusterIdOf(first.token)}:*`), firstKeys);
    assert.ok(redisKeys(storage, `lux:${clusterIdOf(cluster.token)}:*`).length > 0, "the second cluster's records are in Redis");
  });

  test("a live cluster renews its records; once it is gone they expire", async () => {
    const storage = await startRedis();
    const ttlMs = 1500;
    cluster = await LocalCluster.start({ gcsStorage: storage, config: { redisRecordTtlMs: ttlMs } });
    const pattern = `lux:${clusterIdOf(cluster.token)}:*`;
    await lux.init({ address: cluster.address });
    const counter = CounterActor.options({ name: "expiring", lifetime: "detached" }).remote();
    assert.equal(await lux.get(counter.incr.remote()), 1);
    const keys = redisKeys(storage, pattern);
    assert.ok(keys.length >= 3, `jobs, nodes and actors are in Redis: ${keys.join(", ")}`);
    // Three lifetimes of a record: each key must be there, with an expiry, the whole time.
    const until = Date.now() + 3 * ttlMs;
    while (Date.now() < until) {
      for (const key of keys) {
        const ttl = Number(redisCli(storage, "pttl", key).trim());
        assert.ok(ttl > 0 && ttl <= ttlMs, `${key} expires in ${ttl} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await lux.shutdown();
    await cluster.shutdown();
    await waitFor(() => redisKeys(storage, pattern).length === 0, "the records of the stopped cluster to expire", 10_000);
  });
});
