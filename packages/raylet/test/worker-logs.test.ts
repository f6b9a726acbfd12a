/**
 * A node's worker output (issue 16, point 4), without processes: a worker's stdout and stderr
 * (here PassThrough streams) are split into lines, its marker lines taken out and kept in its
 * rotating file; the sink gets each run of lines with the task or actor it was written for.
 * Then the reads `lux logs` makes of such a file: the last N lines, a task's lines only (also
 * across rotated files), and from a cursor on, after the file rotated under it.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { NO_OUTPUT_CONTEXT_MARKER, outputMarker, type OutputContext } from "@lux/common";
import type { OutputStream } from "@lux/protocol";
import { readLog } from "../src/log-reader.js";
import { WorkerOutputs } from "../src/worker-output.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "lux-worker-logs-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const taskA: OutputContext = { taskId: "task-a", actorId: "", name: "fa" };
const taskB: OutputContext = { taskId: "task-b", actorId: "", name: "fb" };
const actor: OutputContext = { taskId: "call-1", actorId: "actor-1", name: "Counter" };
const mark = (c: OutputContext | undefined): string => `${outputMarker(c)}\n`;

/** A stand-in worker process: its pipes are written by the test. */
function fakeWorker(pid: number): { child: ChildProcess; out: PassThrough; err: PassThrough } {
  const out = new PassThrough();
  const err = new PassThrough();
  return { child: { pid, stdout: out, stderr: err } as unknown as ChildProcess, out, err };
}

type Run = [jobId: string, pid: number, stream: OutputStream, context: OutputContext | undefined, lines: string[]];

function outputs(dir: string, rotation = { maxBytes: 0, backups: 0 }): { outputs: WorkerOutputs; runs: Run[]; started: string[] } {
  const runs: Run[] = [];
  const started: string[] = [];
  const o = new WorkerOutputs({ logDir: dir, rotation });
  o.setSink({ workerStarted: (jobId) => void started.push(jobId), lines: (...run) => void runs.push(run) });
  return { outputs: o, runs, started };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("worker output", () => {
  test("lines go to the sink with their context, markers go to the file only; a split line waits for its end", async () => {
    const dir = path.join(root, "a");
    const { outputs: o, runs, started } = outputs(dir);
    const w = fakeWorker(11);
    o.watch(w.child, { workerId: "w11", jobId: "job1" });
    assert.deepEqual(started, ["job1"], "the sink hears of the worker at once");
    w.out.write(`before\n${mark(taskA)}one\ntw`);
    w.err.write(`${mark(taskA)}bad\n`);
    w.out.write(`o\n${mark(undefined)}after\n`);
    await settle();
    assert.deepEqual(runs, [
      ["job1", 11, 1, undefined, ["before"]],
      ["job1", 11, 1, taskA, ["one"]],
      ["job1", 11, 2, taskA, ["bad"]],
      ["job1", 11, 1, taskA, ["two"]],
      ["job1", 11, 1, undefined, ["after"]],
    ]);
    const file = fs.readFileSync(path.join(dir, "worker-11.log"), "utf8");
    assert.equal(file, `before\n${mark(taskA)}one\nbad\ntwo\n${NO_OUTPUT_CONTEXT_MARKER}\nafter\n`);
    assert.ok(o.fileNames.has("worker-11.log"));
    assert.equal(o.pidOf("w11"), 11);
    w.out.end("no newline at the end");
    w.err.end();
    await settle();
    assert.deepEqual(runs.at(-1), ["job1", 11, 1, undefined, ["no newline at the end"]]);
  });

  test("lines read before the raylet has a sink wait for it", async () => {
    const o = new WorkerOutputs({ logDir: undefined, rotation: { maxBytes: 0, backups: 0 } });
    const w = fakeWorker(12);
    o.watch(w.child, { workerId: "w12", jobId: "job1" });
    w.out.write("early\n");
    await settle();
    const runs: Run[] = [];
    const started: string[] = [];
    o.setSink({ workerStarted: (jobId) => void started.push(jobId), lines: (...run) => void runs.push(run) });
    assert.deepEqual(started, ["job1"]);
    assert.deepEqual(runs, [["job1", 12, 1, undefined, ["early"]]]);
  });

  test("reads: tail, a task's lines only, an actor's, and every line from the start", async () => {
    const dir = path.join(root, "b");
    const { outputs: o } = outputs(dir);
    const w = fakeWorker(13);
    o.watch(w.child, { workerId: "w13", jobId: "job1" });
    w.out.write(`idle\n${mark(taskA)}a1\na2\n${mark(taskB)}b1\n${mark(taskA)}a3\n${mark(actor)}c1\n${mark(undefined)}idle2\n`);
    await settle();
    const target = { name: "worker-13.log" };
    const read = async (opts: { tail?: number; taskId?: string; actorId?: string }): Promise<string[]> =>
      (await readLog(dir, target, { tail: opts.tail, maxBytes: 1 << 20, filter: { taskId: opts.taskId, actorId: opts.actorId } })).lines;
    assert.deepEqual(await read({}), ["idle", "a1", "a2", "b1", "a3", "c1", "idle2"]);
    assert.deepEqual(await read({ tail: 2 }), ["c1", "idle2"]);
    assert.deepEqual(await read({ taskId: "task-a" }), ["a1", "a2", "a3"]);
    assert.deepEqual(await read({ taskId: "task-a", tail: 2 }), ["a2", "a3"]);
    assert.deepEqual(await read({ taskId: "task-b", tail: 5 }), ["b1"]);
    assert.deepEqual(await read({ actorId: "actor-1" }), ["c1"]);
    assert.deepEqual(await read({ taskId: "nothing" }), []);
  });

  test("rotation: each file starts with its context, so a task's lines are found across files; a cursor follows into the rotated file", async () => {
    const dir = path.join(root, "c");
    const { outputs: o } = outputs(dir, { maxBytes: 200, backups: 3 });
    const w = fakeWorker(14);
    o.watch(w.child, { workerId: "w14", jobId: "job1" });
    const target = { name: "worker-14.log" };
    w.out.write(mark(taskA));
    for (let i = 0; i < 8; i++) w.out.write(`task a line ${i} ${"x".repeat(40)}\n`);
    await settle();
    const first = await readLog(dir, target, { tail: 3, maxBytes: 1 << 20, filter: {} });
    assert.equal(first.lines.length, 3);
    for (let i = 8; i < 12; i++) w.out.write(`task a line ${i} ${"x".repeat(40)}\n`);
    w.out.write(`${mark(taskB)}b\n`);
    await settle();
    const names = fs.readdirSync(dir).sort();
    assert.ok(names.length > 2 && names.length <= 4, `at most 3 rotated files: ${names.join(", ")}`);
    const aLines = (await readLog(dir, target, { maxBytes: 1 << 20, filter: { taskId: "task-a" } })).lines;
    assert.ok(aLines.length >= 6, `task a's lines in every file kept: ${aLines.length}`);
    assert.deepEqual(aLines.slice(-2).map((l) => l.split(" ").slice(0, 4).join(" ")), ["task a line 10", "task a line 11"]);
    assert.deepEqual((await readLog(dir, target, { tail: 10, maxBytes: 1 << 20, filter: { taskId: "task-b" } })).lines, ["b"]);
    // From the cursor of the first read: the lines written since, though its file was renamed since.
    const next = await readLog(dir, target, { cursor: first.cursor, maxBytes: 1 << 20, filter: {} });
    assert.deepEqual(next.lines.map((l) => l.split(" ").slice(0, 4).join(" ")), ["task a line 8", "task a line 9", "task a line 10", "task a line 11", "b"]);
    assert.equal(next.more, false);
    // Small budgets: the same lines, in several reads.
    const pieces: string[] = [];
    let cursor = first.cursor;
    for (let more = true; more; ) {
      const chunk = await readLog(dir, target, { cursor, maxBytes: 60, filter: {} });
      pieces.push(...chunk.lines);
      cursor = chunk.cursor;
      more = chunk.more;
    }
    assert.deepEqual(pieces, next.lines);
  });
});
