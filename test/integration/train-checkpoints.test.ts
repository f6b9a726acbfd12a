/**
 * @lux/train's checkpoints through its public API on a real cluster (issue 19, points 2 and
 * 3): checkpoints kept by numToKeep and score, resumeFromCheckpoint,
 * Checkpoint.fromDirectory/toDirectory.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { epochLoop, recorded, type EpochConfig } from "./fixtures/train-defs.js";

let dir = "";

before(async () => {
  await lux.init({ numCpus: 4 });
});

after(async () => {
  await lux.shutdown();
});

afterEach(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function tempDir(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-ckpt-"));
  return dir;
}

function checkpointFolders(runPath: string): string[] {
  return fs.readdirSync(runPath).filter((f) => f.startsWith("checkpoint_")).sort();
}

describe("checkpoints", () => {
  test("numToKeep with a score to minimize: the best k stay on disk (and the latest), best first; the others are deleted", async () => {
    const storagePath = tempDir();
    const scores = [0.5, 0.2, 0.9, 0.1, 0.3];
    const config: EpochConfig = { epochs: 5, dir: storagePath, scores };
    const checkpointConfig = { numToKeep: 2, checkpointScoreAttribute: "score", checkpointScoreOrder: "min" as const };
    const result = await new train.DataParallelTrainer(epochLoop, { trainLoopConfig: config, scalingConfig: { numWorkers: 2 }, runConfig: { name: "min", storagePath, checkpointConfig } }).fit();
    assert.deepEqual(result.bestCheckpoints.map((c) => c.metrics["score"]), [0.1, 0.2, 0.3], "the two best, then the latest (kept for a restart)");
    assert.deepEqual(checkpointFolders(result.path), ["checkpoint_000001", "checkpoint_000003", "checkpoint_000004"]);
    assert.equal(result.checkpoint?.path, path.join(result.path, "checkpoint_000004"), "the latest");
    const kept = recorded<{ kept: [string, number][] }>(storagePath, "after", 0).at(-1)?.kept;
    assert.deepEqual(kept?.map(([, epoch]) => epoch), [1, 3, 4], "getAllReportedCheckpoints(): those kept, in report order");
  });

  test("numToKeep with a score to maximize, and without a score (the latest k)", async () => {
    const storagePath = tempDir();
    const scores = [3, 9, 1, 7, 2, 8];
    const config: EpochConfig = { epochs: 6, dir: storagePath, scores };
    const max = { numToKeep: 2, checkpointScoreAttribute: "score", checkpointScoreOrder: "max" as const };
    const best = await new train.DataParallelTrainer(epochLoop, { trainLoopConfig: config, runConfig: { name: "max", storagePath, checkpointConfig: max } }).fit();
    assert.deepEqual(best.bestCheckpoints.map((c) => c.metrics["score"]), [9, 8]);
    assert.deepEqual(checkpointFolders(best.path), ["checkpoint_000001", "checkpoint_000005"]);
    const latest = await new train.DataParallelTrainer(epochLoop, { trainLoopConfig: config, runConfig: { name: "latest", storagePath, checkpointConfig: { numToKeep: 3 } } }).fit();
    assert.deepEqual(latest.bestCheckpoints.map((c) => c.metrics["epoch"]), [5, 4, 3]);
    assert.deepEqual(checkpointFolders(latest.path), ["checkpoint_000003", "checkpoint_000004", "checkpoint_000005"]);
  });

  test("reports without a checkpoint keep the latest one; resumeFromCheckpoint is getCheckpoint() from the first epoch on", async () => {
    const storagePath = tempDir();
    const first = await new train.DataParallelTrainer(epochLoop, {
      trainLoopConfig: { epochs: 3, dir: storagePath, noCheckpointAt: [2] },
      scalingConfig: { numWorkers: 2 },
      runConfig: { name: "first", storagePath },
    }).fit();
    assert.equal(first.checkpoint?.path, path.join(first.path, "checkpoint_000001"));
    assert.deepEqual(first.metricsHistory.map((m) => m["epoch"]), [0, 1, 2]);
    fs.rmSync(path.join(storagePath, "start-0.jsonl"));
    const resumed = await new train.DataParallelTrainer(epochLoop, {
      trainLoopConfig: { epochs: 4, dir: storagePath },
      scalingConfig: { numWorkers: 2 },
      runConfig: { name: "first", storagePath },
      resumeFromCheckpoint: first.checkpoint,
    }).fit();
    const start = recorded<{ start: number; restored: string }>(storagePath, "start", 0);
    assert.deepEqual(start.map((s) => [s.start, s.restored]), [[2, first.checkpoint?.path]]);
    assert.deepEqual(resumed.metricsHistory.map((m) => m["epoch"]), [2, 3]);
    assert.deepEqual(checkpointFolders(resumed.path), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002", "checkpoint_000003"], "the resumed run's checkpoints after the first run's");
  });

  test("Checkpoint.fromDirectory, .path and toDirectory; a missing folder is CheckpointNotFoundError", async () => {
    const base = tempDir();
    const src = path.join(base, "src");
    fs.mkdirSync(path.join(src, "sub"), { recursive: true });
    fs.writeFileSync(path.join(src, "sub", "w.bin"), "weights");
    const checkpoint = train.Checkpoint.fromDirectory(src);
    assert.equal(checkpoint.path, src);
    const copy = await checkpoint.toDirectory(path.join(base, "copy"));
    assert.equal(fs.readFileSync(path.join(copy, "sub", "w.bin"), "utf8"), "weights");
    const temp = await checkpoint.toDirectory();
    assert.equal(fs.readFileSync(path.join(temp, "sub", "w.bin"), "utf8"), "weights");
    fs.rmSync(temp, { recursive: true });
    assert.throws(() => train.Checkpoint.fromDirectory(path.join(base, "nothing")), (e: unknown) => e instanceof train.CheckpointNotFoundError && /no such folder/.test(e.message) && e.path === path.join(base, "nothing"));
    assert.throws(() => train.Checkpoint.fromDirectory(path.join(src, "sub", "w.bin")), train.CheckpointNotFoundError);
  });
});
