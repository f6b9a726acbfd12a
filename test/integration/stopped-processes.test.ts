/**
 * Issue 24 point 10: stopped processes. A worker or actor stopped with SIGSTOP makes no
 * progress on its raylet's liveness probe (no ping answered, no CPU used): after
 * workerLivenessTimeoutMs it gets no new leases, and calls to its actor fail at once with
 * ActorUnavailableError instead of queueing without bound. The actor is not dead: resumed
 * with SIGCONT, it answers again, calls already sent included.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, test } from "node:test";
import * as lux from "lux";
import { debugStats } from "@lux/core/internal";
import { LocalCluster } from "lux/testing";
import { pidAlive, waitFor } from "./helpers.js";

const pidOf = lux.remote(() => process.pid);
/** Busy for `ms` in synchronous code: no ping is answered meanwhile, but CPU is used. */
const spin = lux.remote((ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return process.pid;
});

class Worker {
  n = 0;
  pid(): number {
    return process.pid;
  }
  incr(): number {
    return ++this.n;
  }
}

const LIVENESS = { workerLivenessProbeIntervalMs: 100, workerLivenessTimeoutMs: 1000 };

let cluster: LocalCluster | undefined;
let stopped: number[] = [];

afterEach(async () => {
  for (const pid of stopped) if (pidAlive(pid)) process.kill(pid, "SIGCONT");
  stopped = [];
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
});

function stop(pid: number): void {
  stopped.push(pid);
  process.kill(pid, "SIGSTOP");
}

function rayletLog(): string {
  return fs.readFileSync(path.join((cluster as LocalCluster).sessionDir, "logs", "raylet-0.log"), "utf8");
}

test("calls to a stopped actor fail with ActorUnavailableError after the period; resumed, it answers again", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2 }, config: LIVENESS });
  await lux.init({ address: cluster.address });
  const actor = lux.remote(Worker).options({ name: "stopped" }).remote();
  const pid = await lux.get(actor.pid.remote());
  assert.equal(await lux.get(actor.incr.remote()), 1);

  stop(pid);
  const sentBefore = actor.incr.remote(); // sent before the raylet noticed: it waits for the process
  const started = Date.now();
  let refused: unknown;
  await waitFor(async () => {
    refused = await lux.get(actor.incr.remote(), { timeoutMs: 100 }).catch((e: unknown) => e);
    return refused instanceof lux.ActorUnavailableError;
  }, "calls to the stopped actor to be refused", 15_000, 50);
  assert.ok(Date.now() - started >= 900, "not before the period");
  assert.ok(refused instanceof lux.LuxError && refused.code === "LUX_ACTOR_UNAVAILABLE");
  assert.match((refused as Error).message, /actor "stopped" \(id \w+\) is unavailable: its worker process has stopped making progress/);

  // Calls from now on fail at once: 5,000 of them leave nothing queued in this driver.
  const inFlight = debugStats().tasksInFlight;
  const refs = Array.from({ length: 5000 }, () => actor.incr.remote());
  assert.ok(debugStats().tasksInFlight <= inFlight, `calls queued: ${debugStats().tasksInFlight - inFlight}`);
  const outcomes = await Promise.allSettled(refs.map((r) => lux.get(r)));
  assert.ok(outcomes.every((o) => o.status === "rejected" && o.reason instanceof lux.ActorUnavailableError));
  // Not declared dead: the name still finds it.
  await lux.getActor("stopped");

  process.kill(pid, "SIGCONT");
  stopped = [];
  await waitFor(async () => (await lux.get(actor.incr.remote(), { timeoutMs: 1000 }).catch(() => undefined)) !== undefined, "the resumed actor to answer", 15_000, 50);
  assert.ok((await lux.get(sentBefore)) >= 2, "the call sent before it was noticed ran once it resumed");
  assert.match(rayletLog(), /made no progress for \d+ ms/);
  assert.match(rayletLog(), /makes progress again/);
});

test("a stopped idle worker gets no new lease; a worker busy in synchronous code is not taken for stopped", async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 1 }, config: LIVENESS });
  await lux.init({ address: cluster.address });
  // Busy three periods without answering a ping: it uses CPU, so it is alive.
  const busy = await lux.get(spin.remote(3000));
  assert.doesNotMatch(rayletLog(), /made no progress/);
  assert.equal(await lux.get(pidOf.remote()), busy, "the same (idle) worker runs the next task");

  stop(busy);
  await waitFor(() => /made no progress/.test(rayletLog()), "the raylet to notice the stopped worker");
  // It is idle in the pool, but not leased: a new worker runs the task.
  const other = await lux.get(pidOf.remote(), { timeoutMs: 30_000 });
  assert.notEqual(other, busy);
});
