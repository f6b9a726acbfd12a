/**
 * A raylet's worker output on its way to drivers (issue 16, point 4), over a scripted driver
 * connection: a job's first worker greets its driver; each job's lines go only to its own driver's address, gathered into one batch
 * per turn of the event loop (never a message per line), one batch in flight per job; lines
 * past the buffer are dropped and counted; a job with logToDriver false gets nothing; drain
 * resolves once the driver has the lines.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, type ConnectionPool, type CoreWorkerService, type JobInfo, type RayletService, type WorkerOutputBatch } from "@lux/protocol";
import { DriverOutput } from "../src/driver-output.js";

interface Sent {
  address: string;
  batch: WorkerOutputBatch;
  ack(): void;
}

function setUp(options: { bufferBytes?: number; jobs?: Record<string, Partial<JobInfo>> } = {}): { out: DriverOutput; sent: Sent[]; clock: FakeClock } {
  const sent: Sent[] = [];
  const jobs: Record<string, Partial<JobInfo>> = options.jobs ?? { j1: { driverAddress: "driver-1" }, j2: { driverAddress: "driver-2" } };
  const drivers = {
    get: (address: string) =>
      Promise.resolve({
        call: (_method: string, batch: WorkerOutputBatch) => new Promise<void>((resolve) => sent.push({ address, batch, ack: resolve })),
      }),
    forget: () => undefined,
  } as unknown as ConnectionPool<CoreWorkerService, RayletService>;
  const clock = new FakeClock(0);
  const out = new DriverOutput({
    nodeId: "abcdef0123456789",
    job: (jobId) => (jobs[jobId] !== undefined ? Promise.resolve({ jobId, ...jobs[jobId] } as JobInfo) : Promise.reject(new Error("unknown job"))),
    drivers,
    bufferBytes: options.bufferBytes ?? 1 << 20,
    timeoutMs: 1000,
    retryMs: 100,
    clock,
  });
  return { out, sent, clock };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("DriverOutput", () => {
  test("each job's lines go to its own driver, one batch per turn with each line's prefix", async () => {
    const { out, sent } = setUp();
    out.lines("j1", 10, 1, { taskId: "t", actorId: "", name: "f" }, ["a1"]);
    out.lines("j2", 20, 1, { taskId: "u", actorId: "x", name: "Counter" }, ["b1"]);
    out.lines("j1", 10, 1, { taskId: "t", actorId: "", name: "f" }, ["a2", "a3"]);
    out.lines("j1", 11, 2, undefined, ["err"]);
    await turn();
    await turn();
    assert.deepEqual(
      sent.map((s) => [s.address, s.batch]),
      [
        ["driver-1", { nodeId: "abcdef0123456789", runs: [[10, 1, "(f pid=10 node=abcdef01)", ["a1", "a2", "a3"]], [11, 2, "(pid=11 node=abcdef01)", ["err"]]] }],
        ["driver-2", { nodeId: "abcdef0123456789", runs: [[20, 1, "(Counter pid=20)", ["b1"]]] }],
      ],
    );
  });

  test("a job's first worker here greets its driver with an empty batch (so it drains this node at shutdown), once", async () => {
    const { out, sent } = setUp();
    out.workerStarted("j1");
    out.workerStarted("j1");
    await turn();
    await turn();
    assert.deepEqual(sent.map((s) => [s.address, s.batch]), [["driver-1", { nodeId: "abcdef0123456789", runs: [] }]]);
    sent[0]?.ack();
    await turn();
    out.workerStarted("j1");
    await turn();
    await turn();
    assert.equal(sent.length, 1);
  });

  test("one batch in flight per job: lines written meanwhile go in the next; drain waits for the driver to take them", async () => {
    const { out, sent } = setUp();
    out.lines("j1", 10, 1, undefined, ["one"]);
    await turn();
    await turn();
    assert.equal(sent.length, 1);
    for (let i = 0; i < 100; i++) out.lines("j1", 10, 1, undefined, [`line ${i}`]);
    await turn();
    assert.equal(sent.length, 1, "nothing more while the first is on its way");
    let drained = false;
    const drain = out.drain("j1").then(() => (drained = true));
    sent[0]?.ack();
    await turn();
    await turn();
    assert.equal(sent.length, 2);
    assert.equal(sent[1]?.batch.runs[0]?.[3].length, 100, "the 100 lines in one message");
    assert.equal(drained, false, "not before the driver answered");
    sent[1]?.ack();
    await drain;
    assert.equal(drained, true);
  });

  test("past the buffer lines are dropped and counted; logToDriver false and unknown jobs send nothing; an ended job's lines stay put", async () => {
    const { out, sent, clock } = setUp({ bufferBytes: 1024, jobs: { j1: { driverAddress: "d1" }, quiet: { driverAddress: "d2", logToDriver: false } } });
    out.lines("quiet", 1, 1, undefined, ["not for the driver"]);
    out.lines("j1", 1, 1, undefined, ["x".repeat(600)]);
    out.lines("j1", 1, 1, undefined, ["y".repeat(600), "z"]);
    await turn();
    await turn();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]?.batch, { nodeId: "abcdef0123456789", runs: [[1, 1, "(pid=1 node=abcdef01)", ["x".repeat(600)]]], dropped: 2 }, "the two lines that did not fit are counted");
    sent[0]?.ack();
    out.lines("j1", 1, 1, undefined, ["after"]);
    await turn();
    await turn();
    assert.deepEqual(sent[1]?.batch.runs, [[1, 1, "(pid=1 node=abcdef01)", ["after"]]]);
    assert.equal(sent[1]?.batch.dropped, undefined);
    out.lines("ghost", 1, 1, undefined, ["nobody's"]);
    for (let i = 0; i < 5; i++) {
      await clock.advanceAsync(100);
      await turn();
    }
    out.jobEnded("j1");
    out.lines("j1", 1, 1, undefined, ["after the end"]);
    await turn();
    await turn();
    assert.equal(sent.length, 2, "nothing for the quiet job, the unknown one or the ended one");
  });
});
