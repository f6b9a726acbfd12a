/**
 * Issue 14, point 7: memory-aware scheduling and the OOM killer. A node started with a
 * `memoryCapacity` counts its own processes against it; above its `memoryUsageThreshold`
 * its memory monitor kills one worker (the newest retriable task, else the newest actor
 * with restarts left, else the newest of any) and the node takes no new leases. A killed
 * task runs again (after a pause) while it has retries, then rejects with OutOfMemoryError,
 * which names the task, the node, its use against the threshold and its largest processes.
 * An actor restarts per maxRestarts, then its calls reject with ActorDiedError caused by it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster, type LocalNode } from "lux/testing";
import { GateActor, HolderActor, LocatorActor, hog, whereAmI, type Gate } from "./fixtures/memory-monitor-defs.js";
import { waitFor } from "./helpers.js";

const MiB = 1024 ** 2;
/** The memory node: its raylet and workers (about 150 MiB idle) against 600 MiB, killing above 70%. */
const CAPACITY = 600 * MiB;
const THRESHOLD = 0.7;
/** The spare node's memory resource, given. */
const SPARE_MEMORY = 2048 * MiB;

let cluster: LocalCluster;
let mem: LocalNode;
/** Always above its threshold (its raylet alone is): it takes no leases. */
let full: LocalNode;
let spare: LocalNode;
let gate: lux.ActorHandle<Gate>;
let keys = 0;
const key = (): string => `k${keys++}`;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 1, resources: { control: 1 } } });
  mem = await cluster.addNode({ numCpus: 2, memoryCapacity: CAPACITY, memoryUsageThreshold: THRESHOLD, resources: { mem: 8 } });
  full = await cluster.addNode({ numCpus: 1, memoryCapacity: CAPACITY, memoryUsageThreshold: 0.01, resources: { shared: 8, fullOnly: 1 } });
  // Its own processes against 64 GiB: whatever the machine's memory, it has room.
  spare = await cluster.addNode({ numCpus: 1, memoryCapacity: 64 * 1024 * MiB, memory: SPARE_MEMORY, resources: { shared: 8 } });
  await lux.init({ address: cluster.address });
  gate = GateActor.options({ resources: { control: 1 } }).remote();
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
});

const runs = (k: string): Promise<number[]> => lux.get(gate.runs.remote(k));
const onMem = { resources: { mem: 1 } };

function isOutOfMemory(e: unknown, task: string): e is lux.OutOfMemoryError {
  assert.ok(e instanceof lux.OutOfMemoryError, String(e));
  assert.equal(e.task, task);
  assert.equal(e.nodeId, mem.nodeId);
  assert.equal(e.nodeAddress, mem.address);
  assert.equal(e.capacityBytes, CAPACITY);
  assert.equal(e.threshold, THRESHOLD);
  assert.ok(e.usedBytes > THRESHOLD * CAPACITY, `${e.usedBytes} bytes used is not above the threshold`);
  return true;
}

test("a task that holds too much memory is killed: OutOfMemoryError names it, the node, its use and its largest processes", async () => {
  const k = key();
  await assert.rejects(lux.get(hog.options({ ...onMem, maxRetries: 0 }).remote(gate, k, [400])), (e: unknown) => {
    assert.ok(isOutOfMemory(e, "hog"));
    assert.equal(e.actorClass, undefined);
    const top = e.topUsers[0];
    assert.ok(top !== undefined && top.name === "task hog" && top.rssBytes > 400 * MiB, JSON.stringify(e.topUsers));
    assert.ok(e.topUsers.some((u) => u.name === "raylet"), JSON.stringify(e.topUsers));
    assert.match(e.message, /task hog \(id [0-9a-f]+\) was killed by the memory monitor of node/);
    assert.match(e.message, new RegExp(`${mem.nodeId} \\(${mem.address}\\)`));
    assert.match(e.message, /above its memory usage threshold of 70\.0%/);
    assert.match(e.message, /numCpus/);
    assert.match(e.message, /memory option/);
    assert.match(e.message, /--memory-usage-threshold/);
    return true;
  });
  assert.equal((await runs(k)).length, 1, "maxRetries: 0 runs it once");
});

test("a retriable task killed for memory runs again: it succeeds once it needs less, or fails after maxRetries", async () => {
  const [shrinks, stays] = [key(), key()];
  const shrinking = hog.options({ ...onMem, maxRetries: 2 }).remote(gate, shrinks, [400, 20]);
  await waitFor(async () => {
    const [attempts, holding] = await Promise.all([runs(shrinks), runs(`${shrinks}/holding`)]);
    return attempts.length === 2 && holding.includes(attempts[1] as number);
  }, "the second attempt to hold its memory");
  gate.release.remote(shrinks);
  assert.equal(await lux.get(shrinking), 2);
  const [first, second] = await runs(shrinks);
  assert.notEqual(first, second, "each attempt runs in a new worker");

  await assert.rejects(lux.get(hog.options({ ...onMem, maxRetries: 1 }).remote(gate, stays, [400])), (e: unknown) => isOutOfMemory(e, "hog"));
  assert.equal((await runs(stays)).length, 2, "maxRetries: 1 runs it twice");
});

test("the newest task is killed, not the one that was holding its memory first", async () => {
  const [older, newer] = [key(), key()];
  const olderRef = hog.options({ ...onMem, maxRetries: 0 }).remote(gate, older, [150]);
  await waitFor(async () => (await runs(`${older}/holding`)).length === 1, "the older task to hold its memory");
  await assert.rejects(lux.get(hog.options({ ...onMem, maxRetries: 0 }).remote(gate, newer, [250])), (e: unknown) => isOutOfMemory(e, "hog"));
  gate.release.remote(older);
  assert.equal(await lux.get(olderRef), 1);
});

test("a retriable task is killed before a newer task that cannot be retried", async () => {
  const [retriable, once] = [key(), key()];
  const retriableRef = hog.options({ ...onMem, maxRetries: 1 }).remote(gate, retriable, [150]);
  await waitFor(async () => (await runs(`${retriable}/holding`)).length === 1, "the retriable task to hold its memory");
  const onceRef = hog.options({ ...onMem, maxRetries: 0 }).remote(gate, once, [250]);
  // Killed twice (its retry needs the same again, beside the other), then out of retries.
  await assert.rejects(lux.get(retriableRef), (e: unknown) => isOutOfMemory(e, "hog"));
  assert.equal((await runs(retriable)).length, 2);
  gate.release.remote(once);
  assert.equal(await lux.get(onceRef), 1);
});

test("an actor killed for memory restarts (maxRestarts); then its calls reject with ActorDiedError caused by OutOfMemoryError", async () => {
  const k = key();
  const holder = HolderActor.options({ ...onMem, numCpus: 0, maxRestarts: 1 }).remote(gate, k);
  const firstPid = await lux.get(holder.pid.remote());
  await assert.rejects(lux.get(holder.grow.remote(gate, `${k}/never`, 400)), (e: unknown) => e instanceof lux.ActorDiedError);
  await waitFor(async () => (await runs(k)).length === 2, "the actor's restart");
  assert.notEqual(await lux.get(holder.pid.remote()), firstPid);

  const diedOfMemory = (task: string) => (e: unknown) => {
    assert.ok(e instanceof lux.ActorDiedError, String(e));
    assert.ok(isOutOfMemory(e.cause, task));
    assert.equal(e.cause.actorClass, "Holder");
    assert.match(e.message, /out of memory|memory monitor/);
    return true;
  };
  // The call in flight names its method; later calls the actor.
  await assert.rejects(lux.get(holder.grow.remote(gate, `${k}/never`, 400)), diedOfMemory("Holder.grow"));
  await assert.rejects(lux.get(holder.pid.remote()), diedOfMemory("Holder"));
  assert.equal((await runs(k)).length, 2, "no restart is left");
});

test("a node above its memory threshold takes no leases: work goes to a node with room, or waits", async () => {
  const log = path.join(cluster.sessionDir, "logs", `raylet-${cluster.nodes.indexOf(full)}.log`);
  await waitFor(() => readFileSync(log, "utf8").includes("this node takes no new leases"), "the full node to be above its threshold");
  const shared = { resources: { shared: 1 } };
  const where = await lux.get(Array.from({ length: 6 }, () => whereAmI.options(shared).remote()));
  assert.deepEqual(new Set(where), new Set([spare.nodeId]));
  const locator = LocatorActor.options(shared).remote();
  assert.equal(await lux.get(locator.node.remote()), spare.nodeId);
  // Only the full node could run it: it waits.
  const stuck = whereAmI.options({ resources: { fullOnly: 1 } }).remote();
  const [ready] = await lux.wait([stuck], { timeoutMs: 1000 });
  assert.equal(ready.length, 0);
  await lux.cancel(stuck);
});

/** The machine's memory as a raylet sees it: its cgroup v2 limit, if lower. */
function machineMemory(): number {
  try {
    const dir = /^0::(.*)$/m.exec(readFileSync("/proc/self/cgroup", "utf8"))?.[1];
    const max = Number(readFileSync(path.posix.join("/sys/fs/cgroup", dir ?? "/", "memory.max"), "utf8"));
    if (max > 0) return Math.min(os.totalmem(), max);
  } catch {
    // no cgroup v2 limit
  }
  return os.totalmem();
}

test("memory is a logical resource: nodes advertise their RAM minus their store, or what they are given; tasks hold what they ask for", async () => {
  const byId = new Map((await lux.nodes()).map((n) => [n.nodeId, n]));
  const head = byId.get(cluster.nodes[0]?.nodeId ?? "");
  assert.ok(head !== undefined);
  assert.equal(head.resources["memory"], machineMemory() - head.objectStore.capacity);
  assert.equal(byId.get(mem.nodeId)?.resources["memory"], CAPACITY, "a node with a memoryCapacity advertises it");
  assert.equal(byId.get(spare.nodeId)?.resources["memory"], SPARE_MEMORY);
  const total = (await lux.clusterResources())["memory"] ?? 0;
  assert.equal(total, [...byId.values()].reduce((sum, n) => sum + (n.resources["memory"] ?? 0), 0));

  // Only the spare node has room for 1.5 GiB of memory (the full one takes no leases): one at a time.
  const big = { resources: { shared: 1 }, memory: 1536 * MiB, maxRetries: 0 };
  const [a, b] = [key(), key()];
  const first = hog.options(big).remote(gate, a, [1]);
  await waitFor(async () => (await runs(`${a}/holding`)).length === 1, "the first task to run");
  assert.equal(total - ((await lux.availableResources())["memory"] ?? 0), 1536 * MiB);
  const second = hog.options(big).remote(gate, b, [1]);
  const [ready] = await lux.wait([second], { timeoutMs: 500 });
  assert.deepEqual([ready.length, (await runs(b)).length], [0, 0], "the second waits for the first's memory");
  gate.release.remote(a);
  gate.release.remote(b);
  assert.deepEqual(await lux.get([first, second]), [1, 1]);
});
