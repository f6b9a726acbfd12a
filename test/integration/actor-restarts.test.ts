/**
 * Issue 5, points 2 and 5: actor restarts and cleanup. `maxRestarts` re-creates a dead actor
 * with fresh state (on another node when its node died); `maxTaskRetries` re-sends the calls
 * that were in flight, in order (at-least-once), else they reject with ActorDiedError; calls
 * made while it restarts wait for it; after the last restart calls reject with the cause.
 * `lux.kill(h, { noRestart: false })` restarts; `lux.exitActor()` ends an actor for good.
 * A SIGKILLed driver leaves no worker of its job on any node, except its detached actor's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { JournalActor, PhoenixActor, type Journal, type Phoenix as PhoenixClass } from "./fixtures/actor-restarts-defs.js";
import { descendants, fixtures, pidAlive, startScript, waitFor } from "./helpers.js";

let cluster: LocalCluster;
let journal: lux.ActorHandle<Journal>;
let tags = 0;
const tag = (): string => `t${tags++}`;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 1 } });
  await lux.init({ address: cluster.address });
  journal = JournalActor.remote();
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
});

type Phoenix = ReturnType<typeof PhoenixActor.remote>;

/** Blocks the actor, puts `n` step calls in flight (the first running), and returns their refs. */
async function inFlight(actor: Phoenix, n: number): Promise<{ tags: string[]; refs: lux.ObjectRef<number>[] }> {
  await lux.get(actor.block.remote());
  const ts = Array.from({ length: n }, tag);
  const refs = ts.map((t) => actor.step.remote(journal, t));
  const first = ts[0] as string;
  await waitFor(async () => (await lux.get(journal.log.remote())).includes(first), "the first call to run");
  return { tags: ts, refs };
}

async function rejectsDied(ref: lux.ObjectRef<unknown>, cause?: RegExp): Promise<void> {
  await assert.rejects(lux.get(ref), (e: unknown) => {
    assert.ok(e instanceof lux.ActorDiedError, String(e));
    if (cause !== undefined) assert.match(String((e.cause as Error | undefined)?.message), cause);
    return true;
  });
}

test("maxRestarts: the actor is re-created with fresh state; calls made meanwhile wait; then ActorDiedError with the cause", async () => {
  const actor = PhoenixActor.options({ maxRestarts: 1 }).remote();
  assert.deepEqual(await lux.get([actor.incr.remote(), actor.incr.remote()]), [1, 2]);
  const pid = await lux.get(actor.pid.remote());
  const { refs } = await inFlight(actor, 2);
  process.kill(pid, "SIGKILL");
  // maxTaskRetries 0: calls in flight reject (at-most-once) ...
  for (const r of refs) await rejectsDied(r);
  // ... and a call made while it restarts waits for the new incarnation.
  assert.equal(await lux.get(actor.incr.remote()), 1, "the constructor ran again: fresh state");
  const pid2 = await lux.get(actor.pid.remote());
  assert.notEqual(pid2, pid);

  const last = await inFlight(actor, 1);
  process.kill(pid2, "SIGKILL");
  await rejectsDied(last.refs[0] as lux.ObjectRef<number>);
  await rejectsDied(actor.incr.remote(), /worker died/);
});

test("maxTaskRetries: calls in flight are re-sent in order after the restart (at-least-once)", async () => {
  const actor = PhoenixActor.options({ maxRestarts: 1, maxTaskRetries: 1 }).remote();
  const pid = await lux.get(actor.pid.remote());
  const { tags: ts, refs } = await inFlight(actor, 3);
  const queuedAfter = actor.incr.remote();
  process.kill(pid, "SIGKILL");
  // The first call ran twice (it had started); the others once, after it, in order.
  assert.deepEqual(await lux.get(refs), [2, 1, 1]);
  assert.equal(await lux.get(queuedAfter), 1);
  const log = (await lux.get(journal.log.remote())).filter((e) => ts.includes(e));
  assert.deepEqual(log, [ts[0], ts[0], ts[1], ts[2]]);
});

test("an actor whose node dies restarts on another node", async () => {
  const node = await cluster.addNode({ numCpus: 1 });
  const actor = PhoenixActor.options({ maxRestarts: 1, schedulingStrategy: { nodeId: node.nodeId, soft: true } }).remote();
  assert.equal(await lux.get(actor.node.remote()), node.nodeId);
  assert.equal(await lux.get(actor.incr.remote()), 1);
  const { refs } = await inFlight(actor, 1);
  await cluster.removeNode(node);
  await rejectsDied(refs[0] as lux.ObjectRef<number>);
  assert.equal(await lux.get(actor.node.remote()), cluster.nodes[0]?.nodeId);
  assert.equal(await lux.get(actor.incr.remote()), 1);
});

test("kill with noRestart: false restarts an actor that has restarts left, else ends it", async () => {
  const actor = PhoenixActor.options({ maxRestarts: 1 }).remote();
  assert.equal(await lux.get(actor.incr.remote()), 1);
  const pid = await lux.get(actor.pid.remote());
  await lux.kill(actor, { noRestart: false });
  assert.equal(await lux.get(actor.incr.remote()), 1);
  assert.notEqual(await lux.get(actor.pid.remote()), pid);
  await waitFor(() => !pidAlive(pid), "the old worker to exit");
  await lux.kill(actor, { noRestart: false });
  await rejectsDied(actor.incr.remote(), /killed/);
});

test("lux.exitActor() ends the actor after its call returns; it is not restarted", async () => {
  const namespace = `restarts-exit-${process.pid}`;
  const actor = PhoenixActor.options({ maxRestarts: 2, name: "leaving", namespace }).remote();
  const pid = await lux.get(actor.pid.remote());
  assert.equal(await lux.get(actor.finish.remote()), "bye");
  await rejectsDied(actor.incr.remote(), /exited/);
  await waitFor(() => !pidAlive(pid), "the exited actor's worker to end");
  await rejectsDied(actor.incr.remote(), /exited/);
  await assert.rejects(lux.getActor("leaving", { namespace }), lux.ActorNotFoundError);
  assert.throws(() => lux.exitActor(), /inside an actor/);
});

/** Pids of the processes under `roots` that run a worker of job `jobId`. */
function workersOfJob(roots: number[], jobId: string): number[] {
  return roots.flatMap(descendants).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`LUX_JOB_ID=${jobId}`);
    } catch {
      return false; // it ended meanwhile
    }
  });
}

test("a SIGKILLed driver leaves no worker of its job on either node, except its detached actor's", async () => {
  const second = await cluster.addNode({ numCpus: 1 });
  await cluster.waitForNodes(2);
  const head = cluster.nodes[0] as { nodeId: string; pid: number };
  const namespace = `restarts-driver-${process.pid}`;
  const driver = startScript(path.join(fixtures, "actor-restarts-driver.ts"), {
    args: [head.nodeId, second.nodeId],
    env: { LUX_TEST_CLUSTER: cluster.address, LUX_TEST_NS: namespace },
  });
  try {
    const [, jobId, keeperPidText] = await driver.line(/ready (\S+) (\d+)/);
    const keeperPid = Number(keeperPidText);
    const roots = [head.pid, second.pid];
    const before = workersOfJob(roots, jobId as string);
    assert.ok(before.some((p) => descendants(second.pid).includes(p)), "the job has a worker on the second node");
    assert.ok(before.some((p) => descendants(head.pid).includes(p) && p !== keeperPid), "and one on the head node");
    driver.kill("SIGKILL");
    await driver.exited();
    await waitFor(() => workersOfJob(roots, jobId as string).every((p) => p === keeperPid), "the dead driver's workers to end");
    const keeper = await lux.getActor<PhoenixClass>("keeper", { namespace });
    assert.equal(await lux.get(keeper.pid.remote()), keeperPid, "the detached actor survived");
    await lux.kill(keeper);
    await waitFor(() => !pidAlive(keeperPid), "the killed detached actor's worker to end");
  } finally {
    driver.kill();
  }
});
