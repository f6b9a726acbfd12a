/**
 * @lux/train through its public API on a real cluster (issue 19, points 1, 2 and 7): a
 * trainer's result, the loop's context and session, backend hooks, and the errors for bad
 * input. Checkpoints and datasets: train-checkpoints.test.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { epochLoop, functionMetric, nanMetric, recorded, reportOnce, type EpochConfig } from "./fixtures/train-defs.js";

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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-test-"));
  return dir;
}

function checkpointFolders(runPath: string): string[] {
  return fs.readdirSync(runPath).filter((f) => f.startsWith("checkpoint_")).sort();
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

describe("a run", () => {
  test("2 workers: result (metrics of rank 0, path, history, checkpoint merged from both ranks), context and session in the loop", async () => {
    const storagePath = tempDir();
    const config: EpochConfig = { epochs: 3, dir: storagePath };
    const trainer = new train.DataParallelTrainer(epochLoop, { trainLoopConfig: config, scalingConfig: { numWorkers: 2 }, runConfig: { name: "basic", storagePath } });
    const result = await trainer.fit();
    assert.equal(result.path, path.join(storagePath, "basic"));
    assert.deepEqual(result.metrics, { epoch: 2, score: 2, rank: 0 });
    assert.deepEqual(result.metricsHistory.map((m) => m["epoch"]), [0, 1, 2]);
    assert.ok(result.metricsHistory.every((m) => m["rank"] === 0), "rank 0's metrics");
    assert.equal(result.error, undefined);
    assert.equal(result.checkpoint?.path, path.join(result.path, "checkpoint_000002"));
    assert.deepEqual(fs.readdirSync(result.checkpoint.path).sort(), ["epoch", "rank0", "rank1"], "both ranks' files in one folder");
    assert.deepEqual(checkpointFolders(result.path), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"]);
    assert.deepEqual(result.bestCheckpoints.map((c) => c.checkpoint.path), ["checkpoint_000002", "checkpoint_000001", "checkpoint_000000"].map((f) => path.join(result.path, f)), "no score: the latest first");

    const contexts = [0, 1].map((r) => recorded<{ context: train.TrainContext; start: number; restored: string | null }>(storagePath, "start", r)[0]);
    assert.deepEqual(contexts.map((c) => c?.context), [0, 1].map((worldRank) => ({ worldSize: 2, worldRank, localRank: worldRank, localWorldSize: 2, nodeRank: 0, experimentName: "basic" })));
    assert.deepEqual(contexts.map((c) => [c?.start, c?.restored]), [[0, null], [0, null]], "no checkpoint at the start");
    for (const r of [0, 1]) {
      const after = recorded<{ epoch: number; latest: string; kept: [string, number][] }>(storagePath, "after", r);
      assert.deepEqual(after.map((a) => path.basename(a.latest)), ["checkpoint_000000", "checkpoint_000001", "checkpoint_000002"], "getCheckpoint() after each report");
      assert.deepEqual(after.at(-1)?.kept.map(([p, epoch]) => [path.basename(p), epoch]), [["checkpoint_000000", 0], ["checkpoint_000001", 1], ["checkpoint_000002", 2]]);
    }
  });

  test("a trainer with only a loop: one worker, a run under ~/lux_results named after the trainer", async () => {
    const home = tempDir();
    const savedHome = process.env["HOME"];
    process.env["HOME"] = home;
    try {
      const result = await new train.DataParallelTrainer(reportOnce).fit();
      assert.deepEqual(result.metrics, { done: 1, rank: 0 });
      assert.equal(path.dirname(result.path), path.join(home, "lux_results"));
      assert.match(path.basename(result.path), /^DataParallelTrainer_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
      assert.equal(result.checkpoint, undefined);
      assert.deepEqual(result.bestCheckpoints, []);
    } finally {
      process.env["HOME"] = savedHome;
    }
  });

  test("backend hooks run in the driver once per fit, in order, with the run's context; onShutdown after a failure too", async () => {
    const storagePath = tempDir();
    const calls: string[] = [];
    const backend: train.TrainBackend = {
      onStart: (c) => void calls.push(`start ${c.experimentName} ${c.worldSize}`),
      onTrainingStart: async (c) => void calls.push(`training ${path.basename(c.path)}`),
      onShutdown: () => void calls.push("shutdown"),
    };
    await new train.DataParallelTrainer(reportOnce, { scalingConfig: { numWorkers: 2 }, runConfig: { name: "hooks", storagePath }, backend }).fit();
    assert.deepEqual(calls, ["start hooks 2", "training hooks", "shutdown"]);
    calls.length = 0;
    const config: EpochConfig = { epochs: 2, dir: storagePath, failRank: 0, failEpoch: 1, failTimes: 1 };
    await new train.DataParallelTrainer(epochLoop, { trainLoopConfig: config, runConfig: { name: "hooks2", storagePath, failureConfig: { maxFailures: 1 } }, backend }).fit();
    assert.deepEqual(calls, ["start hooks2 1", "training hooks2", "shutdown"], "once per fit, even with a restart");
    calls.length = 0;
    await assert.rejects(new train.DataParallelTrainer(nanMetric, { runConfig: { name: "hooks3", storagePath }, backend }).fit(), train.TrainingFailedError);
    assert.deepEqual(calls, ["start hooks3 1", "training hooks3", "shutdown"]);
  });
});

describe("bad input", () => {
  test("the constructor names the field: numWorkers, unknown keys, checkpointScoreOrder, maxFailures, GPUs without useGpu", () => {
    const bad = (options: unknown, field: RegExp): void => {
      assert.throws(
        () => new train.DataParallelTrainer(reportOnce, options as train.DataParallelTrainerOptions),
        (e: unknown) => e instanceof train.InvalidOptionError && field.test(e.message),
        `${JSON.stringify(options)} should name ${field}`,
      );
    };
    for (const numWorkers of [0, -1, 1.5, "2", Number.NaN]) bad({ scalingConfig: { numWorkers } }, /scalingConfig\.numWorkers: expected a positive integer/);
    bad({ scalingConfig: { numWorker: 2 } }, /scalingConfig\.numWorker: expected no such key/);
    bad({ runConfig: { name: "x", storage: "/tmp" } }, /runConfig\.storage: expected no such key/);
    bad({ runConfig: { checkpointConfig: { numToKeep: 2, keep: 1 } } }, /runConfig\.checkpointConfig\.keep/);
    bad({ runConfig: { failureConfig: { retries: 1 } } }, /runConfig\.failureConfig\.retries/);
    bad({ trainConfig: {} }, /invalid option trainConfig/);
    bad({ runConfig: { checkpointConfig: { checkpointScoreOrder: "asc" } } }, /runConfig\.checkpointConfig\.checkpointScoreOrder: expected "min" or "max", got 'asc'/);
    bad({ runConfig: { checkpointConfig: { numToKeep: 0 } } }, /numToKeep: expected a positive integer/);
    bad({ runConfig: { failureConfig: { maxFailures: -2 } } }, /maxFailures: expected an integer >= 0, or -1/);
    bad({ scalingConfig: { resourcesPerWorker: { CPU: -1 } } }, /resourcesPerWorker\.CPU: expected a number >= 0/);
    bad({ scalingConfig: { resourcesPerWorker: { GPU: 1 } } }, /scalingConfig\.useGpu/);
    bad({ scalingConfig: { placementStrategy: "PACKED" } }, /placementStrategy: expected one of "PACK"/);
    bad({ runConfig: { name: "a/b" } }, /runConfig\.name/);
    bad({ datasets: { train: [1, 2] } }, /datasets\.train: expected a Dataset/);
    bad({ collectiveTimeoutMs: 0 }, /collectiveTimeoutMs/);
    assert.throws(() => new train.DataParallelTrainer(42 as never), TypeError);
  });

  test("resources the cluster can never provide: fit() rejects at once naming the demand and the totals", async () => {
    const storagePath = tempDir();
    const tooMany = new train.DataParallelTrainer(reportOnce, { scalingConfig: { numWorkers: 5, resourcesPerWorker: { CPU: 1 } }, runConfig: { name: "big", storagePath } });
    const started = Date.now();
    await assert.rejects(tooMany.fit(), (e: unknown) => e instanceof train.InsufficientResourcesError && /5 workers of \{ CPU: 1 \}.*\{ CPU: 5 \} in all/.test(e.message) && /has \{ CPU: 4 \} in all on 1 node/.test(e.message));
    const tooBig = new train.DataParallelTrainer(reportOnce, { scalingConfig: { resourcesPerWorker: { CPU: 8 } }, runConfig: { name: "big", storagePath } });
    await assert.rejects(tooBig.fit(), (e: unknown) => e instanceof train.InsufficientResourcesError && /no node can hold one worker/.test(e.message) && /at most \{ CPU: 4 \} on one/.test(e.message));
    const spread = new train.DataParallelTrainer(reportOnce, { scalingConfig: { numWorkers: 2, placementStrategy: "STRICT_SPREAD" }, runConfig: { name: "big", storagePath } });
    await assert.rejects(spread.fit(), (e: unknown) => e instanceof train.InsufficientResourcesError && /STRICT_SPREAD.*only 1 node/.test(e.message));
    const gpu = new train.DataParallelTrainer(reportOnce, { scalingConfig: { useGpu: true }, runConfig: { name: "big", storagePath } });
    await assert.rejects(gpu.fit(), (e: unknown) => e instanceof train.InsufficientResourcesError && /GPU: 1/.test(e.message));
    assert.ok(Date.now() - started < 10_000, "at once");
    assert.equal(fs.existsSync(path.join(storagePath, "big")), false, "nothing started");
  });

  test("report()/getContext()/getCheckpoint() outside a training worker say where they work", async () => {
    await assert.rejects(train.report({ loss: 1 }), (e: unknown) => e instanceof train.TrainSessionError && /train\.report\(\): called outside a training worker/.test(e.message));
    assert.throws(() => train.getContext(), (e: unknown) => e instanceof train.TrainSessionError && /train\.getContext\(\).*inside the training loop/.test(e.message));
    assert.throws(() => train.getCheckpoint(), train.TrainSessionError);
    assert.throws(() => train.getDatasetShard("train"), train.TrainSessionError);
    await assert.rejects(train.collective.barrier(), train.TrainSessionError);
  });

  test("a non-finite or unserializable metric fails its rank with InvalidMetricError naming the key", async () => {
    const storagePath = tempDir();
    const nan = (await failureOf(new train.DataParallelTrainer(nanMetric, { runConfig: { name: "nan", storagePath } }) as never)).get(0);
    assert.ok(nan instanceof train.InvalidMetricError, String(nan));
    assert.match(nan.message, /invalid metric "eval\.loss": is NaN, not a finite number/);
    const fn = (await failureOf(new train.DataParallelTrainer(functionMetric, { runConfig: { name: "fn", storagePath } }) as never)).get(0);
    assert.ok(fn instanceof train.InvalidMetricError, String(fn));
    assert.match(fn.message, /invalid metric "callback": is a function/);
  });

  test("ranks that report unequally often: the rank that returned early fails with TrainSessionError naming both ranks", async () => {
    const storagePath = tempDir();
    const trainer = new train.DataParallelTrainer(epochLoop, { trainLoopConfig: { epochs: 2, dir: storagePath, rank1Skips: [1], noCheckpointAt: [0, 1] }, scalingConfig: { numWorkers: 2 }, runConfig: { name: "uneven", storagePath } });
    const errors = await failureOf(trainer as never);
    const e = errors.get(1);
    assert.ok(e instanceof train.TrainSessionError, String(e));
    assert.match(e.message, /rank 1 returned from its training loop after 1 report, while rank 0 called report\(\) 2 times/);
  });
});
