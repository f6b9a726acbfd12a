/**
 * Issue 13, point 2: an actor whose constructor crashes its process is restarted within
 * maxRestarts, as after a crash after construction; a restarted actor whose constructor
 * argument was lost with its node gets that argument rebuilt from lineage.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { FragileActor, HolderActor, makeBlob, type Holder } from "./fixtures/actor-constructor-defs.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let cluster: LocalCluster;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "lux-ctor-"));
  // A removed node is declared dead soon; not so soon that the head's own raylet, starved of
  // CPU on a loaded machine, misses it (the driver then loses its cluster).
  cluster = await LocalCluster.start({ head: { numCpus: 2 }, config: { nodeDeathTimeoutMs: 4000 } });
  await lux.init({ address: cluster.address });
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test("Ray test_actor_restart_on_constructor_failure: a constructor that kills its process is restarted within maxRestarts", async () => {
  const restarted = FragileActor.options({ maxRestarts: 1 }).remote(path.join(dir, "restarted"));
  assert.equal(typeof (await lux.get(restarted.ping.remote())), "number", "the second construction succeeded");
  const once = FragileActor.options({ maxRestarts: 0 }).remote(path.join(dir, "once"));
  await assert.rejects(lux.get(once.ping.remote()), (e: unknown) => {
    assert.ok(e instanceof lux.ActorDiedError, String(e));
    assert.match(String((e.cause as Error | undefined)?.message), /worker died while the constructor ran/);
    return true;
  });
});

test("Ray test_actor_reconstruction with a lost constructor argument: the restarted actor gets it rebuilt from lineage", async () => {
  const node = await cluster.addNode({ numCpus: 1 });
  const there = { schedulingStrategy: { nodeId: node.nodeId, soft: true } } as const;
  const blob = makeBlob.options(there).remote(100_000); // 800 kB, stored on that node
  // maxTaskRetries: a call that reaches the dead node before its death is known is sent again.
  const actor = HolderActor.options({ ...there, maxRestarts: 1, maxTaskRetries: 1 }).remote(blob);
  assert.equal(await lux.get(actor.node.remote()), node.nodeId);
  assert.equal(await lux.get(actor.sum.remote()), 200_000);
  await cluster.removeNode(node);
  assert.equal(await lux.get(actor.sum.remote(), { timeoutMs: 30_000 }), 200_000, "constructed again with the argument rebuilt");
  assert.equal(await lux.get(actor.node.remote()), cluster.nodes[0]?.nodeId);
});

test("Ray test_actor_reconstruction, the argument held by nobody else: the actor's restarts keep it (and its lineage)", async () => {
  const node = await cluster.addNode({ numCpus: 1 });
  const there = { schedulingStrategy: { nodeId: node.nodeId, soft: true } } as const;
  let collected = false;
  const watcher = new FinalizationRegistry<number>(() => (collected = true));
  const actor = ((): lux.ActorHandle<Holder> => {
    const blob = makeBlob.options(there).remote(100_000);
    watcher.register(blob, 0);
    return HolderActor.options({ ...there, maxRestarts: 1, maxTaskRetries: 1 }).remote(blob);
  })();
  assert.equal(await lux.get(actor.sum.remote()), 200_000);
  // The driver holds no ref to the argument: garbage unless the actor's restarts keep it. Full
  // collections until the ref is collected (then Lux's own finalizer frees it at its owner).
  for (let round = 0; round < 20 && !collected; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(await lux.get(actor.node.remote()), node.nodeId);
  assert.equal(collected, false, "the actor keeps its argument while it may restart");
  await cluster.removeNode(node);
  assert.equal(await lux.get(actor.sum.remote(), { timeoutMs: 30_000 }), 200_000, "constructed again with the argument rebuilt");
});
