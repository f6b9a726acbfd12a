/**
 * WorkerPool's early worker: the first worker of a private cluster's job starts before its
 * raylet is up and learns the raylet's addresses on stdin (startEarlyWorker, prestart).
 * A stand-in worker script reports what it learned; the real worker entry is checked for
 * how it waits.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { FakeClock, systemClock } from "@lux/protocol";
import { WorkerOutputs } from "../src/worker-output.js";
import { WorkerPool, splitPreloads, startEarlyWorker, type PrestartJob, type WorkerHandle, type WorkerPoolOptions } from "../src/worker-pool.js";

/** Polls `condition` every 10 ms for up to 10 s (real processes: no fake clock here). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-worker-pool-test-"));
const logDir = path.join(dir, "logs");
fs.mkdirSync(logDir);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Stands in for worker-main: prints where it learned the raylet's addresses, then waits. */
const standIn = path.join(dir, "stand-in-worker.mjs");
fs.writeFileSync(
  standIn,
  `
const report = (addresses, how) => console.log("WORKER " + JSON.stringify({ how, id: process.env.LUX_WORKER_ID, ...addresses }));
if (process.env.LUX_ADDRESSES_ON_STDIN === "1") {
  let text = "";
  process.stdin.on("data", (d) => {
    text += d;
    if (text.includes("\\n")) report(JSON.parse(text.slice(0, text.indexOf("\\n"))), "stdin");
  });
} else {
  report({ LUX_RAYLET_ADDRESS: process.env.LUX_RAYLET_ADDRESS, LUX_GCS_ADDRESS: process.env.LUX_GCS_ADDRESS, LUX_NODE_ID: process.env.LUX_NODE_ID }, "env");
  process.stdin.resume();
}
`,
);

const job: PrestartJob = { jobId: "job1", namespace: "ns", execArgv: [], cwd: dir, env: {} };
const options: WorkerPoolOptions = {
  nodeId: "node-1",
  workerMain: standIn,
  rayletAddress: "127.0.0.1:7001",
  gcsAddress: "127.0.0.1:7002",
  token: "t",
  outputs: new WorkerOutputs({ logDir, rotation: { maxBytes: 0, backups: 0 } }),
  socketDir: undefined,
  maxIdlePerJob: 2,
  reserveWindowMs: 10_000,
  idleKeepMs: 60_000,
  startConcurrency: 8,
  startTimeoutMs: 30_000,
  reapIntervalMs: 1000,
  onWorkerExit: () => undefined,
  canRetire: () => Promise.resolve(true),
  prepareEnv: () => Promise.reject(new Error("no runtime envs here")),
  clock: systemClock,
};

/** The stand-in's report, from its log file in the session's logs folder. */
async function reportOf(pid: number): Promise<Record<string, string>> {
  const file = path.join(logDir, `worker-${pid}.log`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith("WORKER ")) : undefined;
    if (line !== undefined) return JSON.parse(line.slice("WORKER ".length)) as Record<string, string>;
    if (Date.now() > deadline) throw new Error(`worker ${pid} reported nothing in ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

test("an early worker gets the raylet's addresses on stdin once the pool takes it in, and is the job's first worker", async () => {
  const early = startEarlyWorker(options, job);
  const pool = new WorkerPool(options);
  try {
    pool.prestart(job, 1, early);
    const report = await reportOf(early.process.pid as number);
    assert.deepEqual(report, {
      how: "stdin",
      id: early.workerId,
      LUX_NODE_ID: "node-1",
      LUX_RAYLET_ADDRESS: "127.0.0.1:7001",
      LUX_GCS_ADDRESS: "127.0.0.1:7002",
    });
    assert.equal(early.process.stdin?.writableEnded, false, "stdin stays open: its end tells the worker the raylet is gone");
    assert.ok(pool.registered(early.workerId, "127.0.0.1:7100"));
    const w = await pool.acquire({ ...job, driverAddress: "d", entryUrl: undefined });
    assert.equal(w.workerId, early.workerId);
    assert.equal(w.process, early.process);
  } finally {
    await pool.close();
  }
  assert.notEqual(early.process.exitCode ?? early.process.signalCode, null, "closing the pool ended it");
});

test("an early worker that exited before the pool took it in is replaced by a new one", async () => {
  const early = startEarlyWorker(options, job);
  early.process.kill("SIGKILL");
  await exited(early.process);
  const pool = new WorkerPool(options);
  try {
    pool.prestart(job, 1, early);
    const [w] = pool.all();
    assert.ok(w !== undefined && w.workerId !== early.workerId, "another worker is starting");
    const report = await reportOf(w.process.pid as number);
    assert.equal(report["how"], "env", "a worker started by an up raylet finds the addresses in its environment");
    assert.equal(report["LUX_RAYLET_ADDRESS"], "127.0.0.1:7001");
  } finally {
    await pool.close();
  }
});

test("past startConcurrency, starts wait for a booting worker to register; a job that ends drops its waiting starts", async () => {
  const pool = new WorkerPool({ ...options, startConcurrency: 2 });
  try {
    const acquired = pool.acquire({ ...job, driverAddress: "d", entryUrl: undefined });
    pool.prestart(job, 4);
    const booting = pool.all();
    assert.equal(booting.length, 2, "two processes spawned, three starts wait");
    assert.ok(pool.registered((booting[0] as WorkerHandle).workerId, "127.0.0.1:7100"));
    const first = await acquired;
    assert.equal(first.workerId, booting[0]?.workerId, "the lease asked first got the first worker up");
    await eventually(() => pool.all().length === 3, "a waiting start spawned once a slot freed");
    assert.equal(pool.all().filter((w) => w.state === "starting").length, 2, "still two booting at once");
    pool.killJob(job.jobId);
    await eventually(() => pool.all().length === 0, "the job's workers ended");
    assert.equal(pool.all().length, 0, "the two starts still waiting never spawned");
  } finally {
    await pool.close();
  }
});

test("a spent worker (it ran a function's maxCalls) is never leased again, and is stopped once it owns nothing in use", async () => {
  const clock = new FakeClock(0);
  let mayStop = false;
  let asked = 0;
  const pool = new WorkerPool({ ...options, clock, canRetire: () => Promise.resolve((asked++, mayStop)) });
  const jobInfo = { ...job, driverAddress: "d", entryUrl: undefined };
  try {
    const acquired = pool.acquire(jobInfo);
    const [spent] = pool.all();
    assert.ok(spent !== undefined && pool.registered(spent.workerId, "127.0.0.1:7100"));
    assert.equal(await acquired, spent);
    pool.release(spent, false, true);
    assert.equal(spent.state, "spent");
    await eventually(() => asked === 1 && !spent.retiring, "the pool asked at once whether it may stop it");
    assert.equal(spent.state, "spent", "it owns objects in use: it lives on");
    const next = pool.acquire(jobInfo);
    const fresh = pool.all().find((w) => w !== spent);
    assert.ok(fresh !== undefined && pool.registered(fresh.workerId, "127.0.0.1:7101"), "the next lease starts a new worker");
    assert.equal(await next, fresh);
    mayStop = true;
    clock.advance(options.reapIntervalMs);
    await exited(spent.process);
    assert.equal(spent.state, "dead");
    assert.equal(fresh.state, "leased");
  } finally {
    await pool.close();
  }
});

test("a worker an actor takes is replaced at once, as many kept ready as the job's recent actors (at most maxIdlePerJob), none for tasks, none after the job", async () => {
  const clock = new FakeClock(0);
  const pool = new WorkerPool({ ...options, clock, maxIdlePerJob: 2, reserveWindowMs: 10_000 });
  const jobInfo = { ...job, driverAddress: "d", entryUrl: undefined };
  let port = 7100;
  const register = (w: WorkerHandle | undefined): WorkerHandle => {
    assert.ok(w !== undefined && pool.registered(w.workerId, `127.0.0.1:${port++}`), "a starting worker registers");
    return w;
  };
  const starting = (): WorkerHandle[] => pool.all().filter((w) => w.state === "starting");
  const forActor = (): Promise<WorkerHandle> => pool.acquire(jobInfo, false, undefined, true);
  try {
    pool.prestart(job, 1);
    const first = register(pool.all()[0]);
    assert.equal(await forActor(), first, "the first actor takes the worker started ahead");
    assert.equal(starting().length, 1, "one actor in the window: one worker starts to replace it");
    const second = register(starting()[0]);
    assert.equal(await forActor(), second, "the next actor takes the ready worker, no start waited for");
    assert.equal(starting().length, 2, "two actors in the window: two kept ready");
    const [r1, r2] = starting();
    const third = forActor(); // claims a starting one; three actors, but at most maxIdlePerJob ready
    assert.equal(starting().length, 3, "the claimed one, and two ready");
    register(r1);
    assert.equal(await third, r1);
    register(r2);
    register(starting()[0]);
    assert.equal(pool.all().filter((w) => w.state === "idle").length, 2);

    const task = await pool.acquire(jobInfo); // a task's lease gives its worker back: nothing to replace
    assert.equal(starting().length, 0, "no worker started for a task's lease");
    pool.release(task, false);

    clock.advance(10_001); // the three actors are out of the window
    await forActor();
    await forActor();
    assert.equal(starting().length, 2, "demand counted anew: two actors, two ready again");

    const all = pool.all();
    pool.killJob(job.jobId);
    await Promise.all(all.map((w) => exited(w.process)));
    assert.equal(pool.all().length, 0, "the job's ready and starting workers ended with it");
    clock.advance(options.reapIntervalMs);
    assert.equal(pool.all().length, 0, "and none started after");
  } finally {
    await pool.close();
  }
});

test("reserveWindowMs 0: an actor's worker is not replaced", async () => {
  const pool = new WorkerPool({ ...options, reserveWindowMs: 0 });
  try {
    const acquired = pool.acquire({ ...job, driverAddress: "d", entryUrl: undefined }, false, undefined, true);
    const [w] = pool.all();
    assert.ok(w !== undefined && pool.registered(w.workerId, "127.0.0.1:7100"));
    assert.equal(await acquired, w);
    assert.equal(pool.all().length, 1, "no worker started ahead");
  } finally {
    await pool.close();
  }
});

test("the worker entry started early exits quietly when its raylet goes away before it is up", async () => {
  const workerMain = fileURLToPath(new URL("../../core/dist/worker-main.js", import.meta.url));
  const child = spawn(process.execPath, [workerMain], {
    env: { ...process.env, LUX_ADDRESSES_ON_STDIN: "1", LUX_WORKER_ID: "w", LUX_JOB_ID: "j", LUX_TOKEN: "t" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    child.stdin.end(); // the raylet died: its end of the pipe closes
    assert.deepEqual(await exited(child), { code: 0, signal: null }, stderr);
  } finally {
    child.kill("SIGKILL");
  }
});

test("splitPreloads: --require/--import go to the worker to run itself, other Node flags stay flags", () => {
  assert.deepEqual(splitPreloads(["--enable-source-maps", "--require", "a.cjs", "--import=tsx", "-r", "b", "--conditions", "dev"]), {
    flags: ["--enable-source-maps", "--conditions", "dev"],
    preloads: [
      ["require", "a.cjs"],
      ["import", "tsx"],
      ["require", "b"],
    ],
  });
});
