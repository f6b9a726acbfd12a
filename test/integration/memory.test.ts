/**
 * Issue 2, point 14: 20,000 put/get cycles of 10 KB values and 5,000 tasks leave the
 * driver's heap and the raylet's and control service's RSS flat; every object is freed.
 * The workload runs in its own driver process (fixtures/memory-driver.ts) with --expose-gc.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fixtures, runScript } from "./helpers.js";

interface Measure {
  phase: "warm" | "end" | "large";
  heapUsed: number;
  external: number;
  stats: { references: number; memoryStoreEntries: number; tasksInFlight: number };
  objectStore: { objects: number; bytes: number };
  rayletRss: number;
  gcsRss: number;
}

const MB = 1024 * 1024;
// A leak of the workload would be far above these: 20,000 x 10 KB = 200 MB of put values,
// 5,000 x 10 KB = 50 MB of task results, 400 x 256 KB = 100 MB of large objects.
const MAX_HEAP_GROWTH = 5 * MB;
const MAX_RSS_GROWTH = 30 * MB;

describe("memory stays flat", () => {
  it("after 20,000 put/get cycles of 10 KB, 5,000 tasks and 400 large objects", async () => {
    const run = await runScript(path.join(fixtures, "memory-driver.ts"), {
      nodeArgs: ["--expose-gc"],
      args: ["20000", "5000", "400"],
      timeoutMs: 240_000,
    });
    assert.equal(run.code, 0, `the driver failed:\n${run.stdout}\n${run.stderr}`);
    const measures = new Map<string, Measure>();
    for (const m of run.stdout.matchAll(/^MEASURE (.*)$/gm)) {
      const line = JSON.parse(m[1] as string) as Measure;
      measures.set(line.phase, line);
    }
    const warm = measures.get("warm");
    const end = measures.get("end");
    const large = measures.get("large");
    assert.ok(warm && end && large, `three measurements expected:\n${run.stdout}\n${run.stderr}`);
    const report = JSON.stringify({ warm, end, large }, null, 2);

    for (const m of [warm, end, large]) {
      assert.deepEqual(m.stats, { references: 0, memoryStoreEntries: 0, tasksInFlight: 0 }, `the owner still tracks objects or tasks (${m.phase}):\n${report}`);
      assert.deepEqual(m.objectStore, { objects: 0, bytes: 0 }, `the node's object store still holds objects (${m.phase}):\n${report}`);
    }
    const heap = (m: Measure): number => m.heapUsed + m.external;
    assert.ok(heap(end) - heap(warm) < MAX_HEAP_GROWTH, `the driver's heap grew by ${(heap(end) - heap(warm)) / MB} MB:\n${report}`);
    assert.ok(heap(large) - heap(warm) < MAX_HEAP_GROWTH, `the driver's heap grew by ${(heap(large) - heap(warm)) / MB} MB:\n${report}`);
    assert.ok(end.rayletRss - warm.rayletRss < MAX_RSS_GROWTH, `the raylet's RSS grew by ${(end.rayletRss - warm.rayletRss) / MB} MB:\n${report}`);
    for (const m of [end, large]) {
      assert.ok(m.gcsRss - warm.gcsRss < MAX_RSS_GROWTH, `the control service's RSS grew by ${(m.gcsRss - warm.gcsRss) / MB} MB:\n${report}`);
    }
    // The raylet's RSS after the large objects depends on when its GC runs; that the store
    // is empty (checked above) is what shows it freed them.
  });
});
