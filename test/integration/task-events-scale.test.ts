/**
 * Issue 16, point 3 at scale (CI size; bench/state.ts runs 1,000,000): after 50,000 tasks
 * with a control service keeping 10,000 (taskEventsMax), its memory stays under a stated
 * bound, `state=FAILED` still finds every one of the 50 failures, and the drops are counted.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as lux from "lux";
import { waitFor, withCluster } from "./helpers.js";
import { failEvery } from "./fixtures/state-defs.js";

const TASKS = 50_000;
const WAVE = 5_000;
const EVERY = 1_000;
const KEPT = 10_000;
/** The control service's resident memory after the run stays under this (it idles at ~60 MiB; 10,000 tasks kept cost ~5 MiB). */
const GCS_RSS_BOUND_MIB = 200;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? NaN) / 1024;
}

describe("task events at scale", () => {
  // Every task reported (no taskEventsRateMax), so the store fills past KEPT however fast they run.
  const setup = withCluster({ head: { numCpus: 2 }, config: { taskEventsMax: KEPT, taskEventsRateMax: 0 } });

  it(`${TASKS} tasks: the control service keeps ${KEPT}, under ${GCS_RSS_BOUND_MIB} MiB, and every failure`, async () => {
    let failures = 0;
    for (let start = 0; start < TASKS; start += WAVE) {
      const refs = Array.from({ length: WAVE }, (_, i) => failEvery.remote(start + i, EVERY));
      const settled = await Promise.allSettled(refs.map((r) => lux.get(r, { timeoutMs: 120_000 })));
      failures += settled.filter((s) => s.status === "rejected").length;
    }
    assert.equal(failures, TASKS / EVERY);
    let failed: lux.state.StatePage<lux.state.TaskStateItem> | undefined;
    await waitFor(async () => (failed = await lux.state.listTasks({ filters: [["state", "=", "FAILED"]], limit: 1000 })).total === failures, "every failure listed", 60_000, 250);
    assert.ok(failed !== undefined);
    assert.deepEqual(new Set(failed.items.map((t) => t.errorType)), new Set(["TaskError"]));
    const all = await lux.state.listTasks({ limit: 1 });
    assert.equal(all.total, KEPT);
    assert.ok(all.dropped >= TASKS - KEPT, `dropped ${all.dropped}`);
    const job = (await lux.state.listJobs({ filters: [["jobId", "=", lux.getRuntimeContext().jobId]] })).items[0];
    assert.equal(job?.droppedTasks, all.dropped);
    const started = performance.now();
    await lux.state.listTasks({ filters: [["state", "=", "FAILED"]] });
    const latencyMs = performance.now() - started;
    const rss = rssMiB(setup.cluster.gcsPid);
    console.log(`control service RSS ${rss.toFixed(1)} MiB with ${all.total} tasks kept (${all.dropped} dropped); state=FAILED listed in ${latencyMs.toFixed(1)} ms`);
    assert.ok(rss < GCS_RSS_BOUND_MIB, `control service RSS ${rss.toFixed(1)} MiB`);
  });
});
