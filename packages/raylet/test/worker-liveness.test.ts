/**
 * WorkerLiveness with a fake clock and scripted workers: a worker that neither answers a
 * ping nor uses CPU for the timeout is unresponsive (reported once); one that only uses CPU
 * (busy in synchronous code) or only answers pings stays responsive; an answer after being
 * unresponsive makes it responsive again (reported).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { WorkerLiveness, type ProbedWorker } from "../src/worker-liveness.js";

interface Scripted {
  worker: ProbedWorker;
  /** Pending ping answers; a stopped worker leaves them pending. */
  answers: (() => void)[];
  cpu: number;
  answering: boolean;
}

function setup(): { clock: FakeClock; add: (id: string) => Scripted; reports: [string, boolean][]; liveness: WorkerLiveness; round: () => Promise<void> } {
  const clock = new FakeClock();
  const scripted = new Map<string, Scripted>();
  const connections = new Map<string, { state: string; call: () => Promise<unknown> }>();
  const reports: [string, boolean][] = [];
  const liveness = new WorkerLiveness({
    connections: connections as never,
    worker: (id) => scripted.get(id)?.worker,
    cpuTime: (pid) => [...scripted.values()].find((s) => s.worker.process.pid === pid)?.cpu,
    report: (id, responsive) => reports.push([id, responsive]),
    clock,
    intervalMs: 100,
    timeoutMs: 1000,
  });
  let nextPid = 1;
  const add = (id: string): Scripted => {
    const s: Scripted = { worker: { workerId: id, process: { pid: nextPid++ }, unresponsive: false }, answers: [], cpu: 0, answering: true };
    scripted.set(id, s);
    connections.set(id, {
      state: "open",
      call: () =>
        new Promise((resolve) => {
          if (s.answering) resolve({ ok: true });
          else s.answers.push(() => resolve({ ok: true }));
        }),
    });
    return s;
  };
  const round = async (): Promise<void> => {
    clock.advance(100);
    liveness.tick();
    await new Promise((r) => setImmediate(r));
  };
  return { clock, add, reports, liveness, round };
}

test("a worker that answers no ping and uses no CPU is unresponsive after the timeout, once, until it answers", async () => {
  const { add, reports, round } = setup();
  const stopped = add("stopped");
  const idle = add("idle");
  const busy = add("busy");
  stopped.answering = false;
  busy.answering = false;
  for (let i = 0; i < 9; i++) {
    busy.cpu += 10; // a long synchronous task: CPU time grows
    await round();
  }
  assert.deepEqual(reports, [], "not before the timeout");
  for (let i = 0; i < 5; i++) {
    busy.cpu += 10;
    await round();
  }
  assert.deepEqual(reports, [["stopped", false]]);
  assert.equal(stopped.worker.unresponsive, true);
  assert.equal(idle.worker.unresponsive, false);
  assert.equal(busy.worker.unresponsive, false);
  assert.equal(stopped.answers.length, 1, "one ping at a time: a stopped worker does not pile them up");
  // SIGCONT: it answers the ping it was sent.
  stopped.answering = true;
  for (const answer of stopped.answers.splice(0)) answer();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reports, [["stopped", false], ["stopped", true]]);
  assert.equal(stopped.worker.unresponsive, false);
  // The busy worker's task ends: it answers the ping it was sent.
  busy.answering = true;
  for (const answer of busy.answers.splice(0)) answer();
  for (let i = 0; i < 20; i++) await round();
  assert.equal(reports.length, 2, "a responsive worker is not reported again");
});
