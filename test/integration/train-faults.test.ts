/**
 * Failures of a training run within its budget (issue 19, point 6), on a real cluster: a loop
 * that throws and a worker process that dies each count against maxFailures; within it the
 * group restarts from the latest persisted checkpoint (getCheckpoint() returns it, earlier
 * epochs are not reported again) and the run finishes. Past the budget, and a killed driver:
 * train-faults-budget.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { recorded } from "./fixtures/train-defs.js";
import { tempDirs, trainer, type Start } from "./fixtures/train-faults-setup.js";
import { withCluster } from "./helpers.js";

withCluster({ head: { numCpus: 4 } });
const tempDir = tempDirs("lux-train-faults-");

describe("restarts within maxFailures", () => {
  for (const failHow of ["throw", "exit"] as const) {
    test(`rank 1 ${failHow === "throw" ? "throws" : "exits its process"} at epoch 2: the group restarts from checkpoint_000001 and the run finishes`, async () => {
      const storagePath = tempDir();
      const result = await trainer({ epochs: 5, dir: storagePath, failRank: 1, failEpoch: 2, failHow }, "restart", 1).fit();
      assert.deepEqual(result.metricsHistory.map((m) => m["epoch"]), [0, 1, 2, 3, 4], "each epoch once");
      assert.deepEqual(fs.readdirSync(result.path).filter((f) => f.startsWith("checkpoint_")).sort(), [0, 1, 2, 3, 4].map((i) => `checkpoint_00000${i}`));
      for (const rank of [0, 1]) {
        const starts = recorded<Start>(storagePath, "start", rank);
        assert.deepEqual(starts.map((s) => [s.start, s.restored]), [[0, null], [2, path.join(result.path, "checkpoint_000001")]], `rank ${rank}: restarted from the latest checkpoint`);
        assert.notEqual(starts[0]?.pid, starts[1]?.pid, "in a new worker process");
        assert.equal(fs.readFileSync(path.join(result.path, "checkpoint_000002", `rank${rank}`), "utf8"), "epoch 2");
      }
    });
  }

  test("maxFailures -1: unlimited, three failures then the run finishes", async () => {
    const storagePath = tempDir();
    const result = await trainer({ epochs: 3, dir: storagePath, failRank: 0, failEpoch: 1, failTimes: 3 }, "unlimited", -1).fit();
    assert.deepEqual(result.metricsHistory.map((m) => m["epoch"]), [0, 1, 2]);
    assert.equal(recorded<Start>(storagePath, "start", 0).length, 4, "four groups");
  });
});
