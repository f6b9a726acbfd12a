import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { InvalidMetricError, TrainSessionError } from "lux";
import { Checkpoint, checkpointAt } from "../src/checkpoint.js";
import { checkMetrics } from "../src/metrics.js";
import { TrainSession, runInSession, type ReportAck, type ReportItem, type SessionState } from "../src/session.js";
import { getAllReportedCheckpoints, getCheckpoint, getContext, getDatasetShard, report } from "../src/session-api.js";

function state(runPath: string, overrides: Partial<SessionState> = {}): SessionState {
  return {
    context: { worldSize: 2, worldRank: 1, localRank: 1, localWorldSize: 2, nodeRank: 0, experimentName: "unit" },
    groupName: "g",
    collectiveTimeoutMs: 1000,
    shards: {},
    runPath,
    scoreAttribute: undefined,
    nextReportIndex: 0,
    ack: { checkpoint: undefined, reported: [], nextCheckpointIndex: 0 },
    ...overrides,
  };
}

describe("checkMetrics", () => {
  test("data passes; a non-finite number or a value that cannot travel names its key path", () => {
    assert.doesNotThrow(() => checkMetrics({ loss: 0.1, epoch: 3, name: "a", ok: true, none: null, hist: [1, 2], eval: { acc: 0.9 }, w: new Float32Array(2), at: new Date() }));
    const bad: [unknown, RegExp][] = [
      [{ loss: Number.NaN }, /"loss": is NaN, not a finite number/],
      [{ loss: Infinity }, /"loss": is Infinity/],
      [{ eval: { loss: -Infinity } }, /"eval\.loss": is -Infinity/],
      [{ hist: [1, Number.NaN] }, /"hist\[1\]": is NaN/],
      [{ fn: () => 1 }, /"fn": is a function/],
      [{ s: Symbol("x") }, /"s": is a symbol/],
      [{ m: new Map() }, /"m": is an instance of Map/],
      [{ u: undefined }, /"u": is undefined/],
    ];
    for (const [metrics, message] of bad) assert.throws(() => checkMetrics(metrics), (e: unknown) => e instanceof InvalidMetricError && message.test(e.message), String(message));
    assert.throws(() => checkMetrics(3), TypeError);
    assert.throws(() => checkMetrics([1]), TypeError);
  });
});

describe("TrainSession", () => {
  test("a report is an item for the driver and waits for its answer; reports run in order; a checkpoint's files are copied first", async () => {
    const runPath = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-unit-"));
    try {
      const src = fs.mkdtempSync(path.join(runPath, "src-"));
      fs.writeFileSync(path.join(src, "w"), "1");
      const session = new TrainSession(state(runPath, { nextReportIndex: 5, ack: { checkpoint: undefined, reported: [], nextCheckpointIndex: 3 } }));
      let loopDone!: () => void;
      const loop = new Promise<void>((resolve) => (loopDone = resolve));
      const items = session.items(loop);
      const first = runInSession(session, () => report({ loss: 1 }, { checkpoint: Checkpoint.fromDirectory(src) }));
      const second = runInSession(session, () => report({ loss: 0.5 }));
      const item1 = (await items.next()).value as ReportItem;
      assert.deepEqual(item1, { index: 5, metrics: { loss: 1 }, checkpointed: true });
      assert.equal(fs.readFileSync(path.join(runPath, "checkpoint_000003", "w"), "utf8"), "1", "copied into the next checkpoint folder");
      const saved = checkpointAt(path.join(runPath, "checkpoint_000003"));
      const ack: ReportAck = { checkpoint: saved, reported: [{ checkpoint: saved, metrics: { loss: 1 } }], nextCheckpointIndex: 4 };
      session.acknowledge(5, ack);
      await first;
      assert.equal(runInSession(session, () => getCheckpoint())?.path, saved.path);
      assert.equal(runInSession(session, () => getAllReportedCheckpoints()).length, 1);
      const item2 = (await items.next()).value as ReportItem;
      assert.deepEqual(item2, { index: 6, metrics: { loss: 0.5 }, checkpointed: false });
      session.acknowledge(6, ack);
      await second;
      loopDone();
      assert.equal((await items.next()).done, true);
    } finally {
      fs.rmSync(runPath, { recursive: true, force: true });
    }
  });

  test("the loop's error ends the items after those reported; context, shards and a score attribute", async () => {
    const session = new TrainSession(state("/nowhere", { scoreAttribute: "acc" }));
    assert.deepEqual(runInSession(session, () => getContext()).worldRank, 1);
    assert.throws(() => runInSession(session, () => getDatasetShard("train")), (e: unknown) => e instanceof TrainSessionError && /its datasets are none/.test(e.message));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-unit-"));
    try {
      await assert.rejects(
        runInSession(session, () => report({ loss: 1 }, { checkpoint: Checkpoint.fromDirectory(dir) })),
        (e: unknown) => e instanceof InvalidMetricError && /"acc": is missing from a report with a checkpoint/.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    await assert.rejects(runInSession(session, () => report({ loss: 1 }, { checkpoint: "/tmp" as never })), TrainSessionError);
    const boom = new RangeError("boom");
    const items = session.items(Promise.reject(boom));
    await assert.rejects(items.next(), (e: unknown) => e === boom);
  });
});
