/**
 * One object read at once on several nodes (issue 25, point 3): each node pulls it into its
 * store once, and a node that starts while another is pulling it may read it from that node
 * (a relay) as its chunks arrive. Whatever path each copy took, every copy is intact and
 * every byte pulled was sent by exactly one node; a copy read from a relay is freed with the
 * owner's ref like any other.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as lux from "lux";
import { nodeStats } from "@lux/core/internal";
import { waitFor, withCluster } from "./helpers.js";
import { collectGarbage, digest, expectedDigest, inspect, make, stats } from "./fixtures/transfer-defs.js";

const MiB = 1024 * 1024;
const READERS = ["r1", "r2", "r3"];
const on = (resource: string): { resources: Record<string, number>; maxRetries: number } => ({ resources: { [resource]: 1 }, maxRetries: 0 });

describe("one object read on several nodes at once", { timeout: 180_000 }, () => {
  withCluster({ head: { numCpus: 1, objectStoreMemory: 512 * MiB } }, async (cluster) => {
    for (const r of READERS) await cluster.addNode({ numCpus: 1, resources: { [r]: 1 }, objectStoreMemory: 512 * MiB });
    await cluster.waitForNodes(1 + READERS.length);
    await lux.init({ address: cluster.address });
  });

  type Stats = { pulls: number; bytes: number; fromRelays: number; bytesSent: number; objects: number };
  /** Every node's transfers, the head's (the driver's node) first. */
  const allStats = async (): Promise<Stats[]> => {
    const head = await nodeStats();
    const readers = await lux.get(READERS.map((r) => stats.options(on(r)).remote()));
    return [{ ...head.transfers, objects: head.objectStore.objects }, ...readers];
  };

  test("three nodes read a 96 MiB object at once: every copy intact, every byte pulled sent once", async () => {
    const n = (96 * MiB) / 8;
    const before = await allStats();
    let ref: lux.ObjectRef<Float64Array> | undefined = lux.put(await lux.get(make.options(on("r1")).remote(n)));
    const seen = await lux.get(READERS.map((r) => inspect.options(on(r)).remote(ref as lux.ObjectRef<Float64Array>)));
    for (const s of seen) {
      const { nodeId: _, ...got } = s;
      assert.deepEqual(got, expectedDigest(n));
    }
    assert.deepEqual(digest(await lux.get(ref)), expectedDigest(n));
    const after = await allStats();
    const delta = (k: "pulls" | "bytes" | "fromRelays" | "bytesSent"): number => after.reduce((sum, s, i) => sum + s[k] - (before[i]?.[k] ?? 0), 0);
    // r1 pulled the driver's copy of what it made (the put) like the others.
    assert.ok(delta("pulls") >= READERS.length, `${delta("pulls")} pulls`);
    assert.equal(delta("bytesSent"), delta("bytes"), "the bytes pulled are the bytes sent");
    console.log(`# ${delta("pulls")} pulls, ${delta("fromRelays")} of them from a relay`);
    ref = undefined;
    await waitFor(async () => {
      collectGarbage();
      return (await allStats()).every((s) => s.objects === 0);
    }, "every node to free its copy once the driver dropped the ref");
  });
});
