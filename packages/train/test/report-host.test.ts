/**
 * The ReportHost (for libraries such as Tune): code run with a host has train.report and
 * train.getCheckpoint go to it, metrics checked first; the other session functions still say
 * where they work; a trainer variant is the same class and loop with its own options.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { InvalidMetricError, TrainSessionError } from "lux";
import { Checkpoint } from "../src/checkpoint.js";
import { currentReportHost, runWithReportHost, type ReportHost } from "../src/report-host.js";
import { getCheckpoint, getContext, report } from "../src/session-api.js";
import { DataParallelTrainer } from "../src/trainer.js";
import { trainerDemand, trainerLoopConfig, trainerVariant } from "../src/trainer-variant.js";

function host(latest?: Checkpoint): ReportHost & { reports: [Record<string, unknown>, Checkpoint | undefined][] } {
  const reports: [Record<string, unknown>, Checkpoint | undefined][] = [];
  return { reports, latestCheckpoint: latest, report: async (m, c) => void reports.push([m, c]) };
}

describe("ReportHost", () => {
  test("report and getCheckpoint go to the host in its code (across awaits), and nowhere else", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-host-"));
    try {
      const ckpt = Checkpoint.fromDirectory(dir);
      const h = host(ckpt);
      await runWithReportHost(h, async () => {
        assert.equal(currentReportHost(), h);
        await new Promise((r) => setTimeout(r, 1));
        await report({ loss: 0.5 }, { checkpoint: ckpt });
        await report({ loss: 0.25 });
        assert.equal(getCheckpoint(), ckpt);
        assert.throws(() => getContext(), TrainSessionError, "getContext is a training worker's only");
      });
      assert.deepEqual(h.reports, [[{ loss: 0.5 }, ckpt], [{ loss: 0.25 }, undefined]]);
      assert.equal(currentReportHost(), undefined);
      await assert.rejects(report({ loss: 1 }), /report and getCheckpoint also in a Tune trial's trainable/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("metrics are checked before the host gets them; a checkpoint must be a Checkpoint; the host's refusal is report's", async () => {
    const h = host();
    await runWithReportHost(h, async () => {
      await assert.rejects(report({ loss: Number.NaN }), InvalidMetricError);
      await assert.rejects(report({ loss: 1 }, { checkpoint: "/tmp" as unknown as Checkpoint }), TrainSessionError);
    });
    assert.equal(h.reports.length, 0);
    const stop = new TypeError("stopped");
    await assert.rejects(runWithReportHost({ latestCheckpoint: undefined, report: () => Promise.reject(stop) }, () => report({ loss: 1 })), (e) => e === stop);
  });
});

describe("trainer variants", () => {
  test("the same class and loop, another trainLoopConfig, folder and resume checkpoint; the original unchanged", () => {
    const loop = (config: { lr: number }): void => void config;
    const trainer = new DataParallelTrainer(loop, { trainLoopConfig: { lr: 1 }, scalingConfig: { numWorkers: 3, resourcesPerWorker: { CPU: 0.5 } }, runConfig: { name: "base" } });
    assert.deepEqual(trainerDemand(trainer as DataParallelTrainer<never>), { numWorkers: 3, bundle: { CPU: 0.5 }, placementStrategy: "PACK" });
    const variant = trainerVariant(trainer as DataParallelTrainer<never>, { trainLoopConfig: { lr: 2 }, storagePath: "/tmp/x", name: "trial_1", resumeFromCheckpoint: undefined });
    assert.ok(variant instanceof DataParallelTrainer);
    assert.deepEqual(trainerLoopConfig(variant), { lr: 2 });
    assert.deepEqual(trainerLoopConfig(trainer as DataParallelTrainer<never>), { lr: 1 });
    assert.throws(() => trainerVariant(trainer as DataParallelTrainer<never>, { trainLoopConfig: {}, storagePath: "/tmp", name: "a/b", resumeFromCheckpoint: undefined }), /runConfig\.name/);
  });
});
