/**
 * @lux/train's datasets through its public API on a real cluster (issue 19, points 2 and 7):
 * getDatasetShard (equal splits, one epoch per iterBatches), an unknown name, and the warning
 * when the workers leave no CPU for the datasets' tasks.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import * as train from "@lux/train";
import { recorded, reportOnce, shardLoop, unknownShard } from "./fixtures/train-defs.js";

let dir = "";

before(async () => {
  await lux.init({ numCpus: 4 });
  data.DataContext.getCurrent().enableProgressBars = false;
});

after(async () => {
  await lux.shutdown();
});

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-data-"));
  return dir;
}

/** What fit() rejected with: a TrainingFailedError, and its WorkerGroupError's errors by rank. */
async function failureOf(trainer: train.DataParallelTrainer<never>): Promise<Map<number, Error>> {
  const e = await trainer.fit().then(
    () => assert.fail("fit() resolved"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof train.TrainingFailedError, `a TrainingFailedError, got ${String(e)}`);
  assert.ok(e.cause instanceof train.WorkerGroupError);
  assert.ok(e.cause.errors instanceof Map);
  return e.cause.errors;
}

describe("datasets", () => {
  test("getDatasetShard: equal disjoint shards covering the dataset, one epoch per iterBatches", async () => {
    const storagePath = tempDir();
    const ds = data.range(1000, { parallelism: 8 });
    const result = await new train.DataParallelTrainer(shardLoop, {
      trainLoopConfig: { dir: storagePath, epochs: 2 },
      scalingConfig: { numWorkers: 2 },
      runConfig: { name: "shards", storagePath },
      datasets: { train: ds },
    }).fit();
    assert.deepEqual(result.metricsHistory, [{ epoch: 0, rows: 500 }, { epoch: 1, rows: 500 }]);
    for (const epoch of [0, 1]) {
      const ids = [0, 1].map((r) => recorded<{ epoch: number; ids: number[] }>(storagePath, "shard", r).find((e) => e.epoch === epoch)?.ids ?? []);
      assert.deepEqual(ids.map((s) => s.length), [500, 500]);
      assert.deepEqual([...(ids[0] ?? []), ...(ids[1] ?? [])].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i), `epoch ${epoch}: every row once`);
    }
  });

  test("workers that take every CPU beside datasets: a warning says the datasets' tasks may never run", async () => {
    const storagePath = tempDir();
    const warnings: Error[] = [];
    const listener = (w: Error): void => void warnings.push(w);
    process.on("warning", listener);
    try {
      await new train.DataParallelTrainer(reportOnce, { scalingConfig: { numWorkers: 4 }, runConfig: { name: "cpus", storagePath }, datasets: { train: data.range(10) } }).fit();
      await new train.DataParallelTrainer(reportOnce, { runConfig: { name: "cpus", storagePath }, datasets: { train: data.range(10) } }).fit();
    } finally {
      process.off("warning", listener);
    }
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === "LUX_TRAIN_NO_CPU_FOR_DATA");
    assert.equal(ours.length, 1, "only when no CPU is left");
    assert.match(ours[0]?.message ?? "", /4 workers take 4 of the cluster's 4 CPUs, leaving 0/);
  });

  test("getDatasetShard of a name the trainer was not given lists its datasets", async () => {
    const storagePath = tempDir();
    const errors = await failureOf(
      new train.DataParallelTrainer(unknownShard, { runConfig: { name: "noshard", storagePath }, datasets: { train: data.range(10), test: data.range(10) } }) as never,
    );
    const e = errors.get(0);
    assert.ok(e instanceof train.TrainSessionError, String(e));
    assert.match(e.message, /getDatasetShard\("validation"\).*its datasets are "train", "test"/);
  });
});
