/**
 * The raylet's side of the memory monitor, with scripted /proc files, a fake pool and fake
 * leases: with a capacity it counts the raylet and its workers; it kills a leased worker
 * and remembers why (for getWorkerExit and reportWorkerDeath); an actor's kill is reported
 * to the control service before the process is killed.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { describe, test } from "node:test";
import { FakeClock, type LeaseRequest, type OutOfMemoryInfo } from "@lux/protocol";
import { defaultConfig } from "@lux/common";
import { settle } from "@lux/testing";
import type { Lease, Requester } from "../src/lease-manager.js";
import { NodeMemory } from "../src/node-memory.js";
import type { WorkerHandle, WorkerState } from "../src/worker-pool.js";

const MiB = 1024 ** 2;

function worker(workerId: string, pid: number, state: WorkerState): WorkerHandle {
  return {
    workerId,
    jobId: "job",
    envKey: "",
    process: { pid } as ChildProcess,
    state,
    address: `${workerId}:1`,
    socketPath: undefined,
    idleSince: 0,
    outlivesJob: false,
    retiring: false,
    unresponsive: false,
  };
}

function lease(w: WorkerHandle, grantSeq: number, request: Partial<LeaseRequest>): Lease {
  return {
    leaseId: `lease-${grantSeq}`,
    worker: w,
    allocation: { resources: {}, gpuIds: [] },
    blocked: false,
    requester: undefined as unknown as Requester,
    placementGroupId: undefined,
    request: { requestId: `r${grantSeq}`, jobId: "job", resources: {}, description: "task f", ...request },
    grantSeq,
  };
}

const status = (mib: number): string => `Name:\tnode\nRssAnon:\t${mib * 1024} kB\nRssShmem:\t${4096 * 1024} kB\n`;

/** A node with capacity 1000 MiB, threshold 0.5: a raylet of 20 MiB, a task worker, an actor worker and an idle one. */
function node() {
  const workers = [worker("task", 201, "leased"), worker("actor", 202, "leased"), worker("idle", 203, "idle")];
  const leases = [lease(workers[0] as WorkerHandle, 1, { retriable: true, description: "task grow" }), lease(workers[1] as WorkerHandle, 2, { actorId: "a1", description: "actor Big" })];
  const rss: Record<number, number> = { [process.pid]: 20, 201: 100, 202: 50, 203: 30 };
  const events: string[] = [];
  const pressure: boolean[] = [];
  const memory = new NodeMemory({
    nodeId: "node-1",
    address: () => "127.0.0.1:7000",
    capacity: 1000 * MiB,
    pool: {
      all: () => workers,
      get: (id) => workers.find((w) => w.workerId === id && w.state !== "dead"),
      kill: (w, reason) => {
        events.push(`kill ${w.workerId}: ${reason}`);
        w.state = "stopping";
      },
    },
    leases: () => leases,
    reportActorKill: async (workerId, _reason, info) => {
      events.push(`report ${workerId} ${info.usedBytes / MiB}`);
      await Promise.resolve();
    },
    pressure: (above) => pressure.push(above),
    clock: new FakeClock(),
    config: defaultConfig({ memoryUsageThreshold: 0.5, memoryMonitorIntervalMs: 250 }),
    read: (file) => {
      const pid = Number(/^\/proc\/(\d+)\/status$/.exec(file)?.[1]);
      return rss[pid] === undefined ? undefined : status(rss[pid]);
    },
  });
  return { memory, workers, leases, rss, events, pressure };
}

describe("NodeMemory", () => {
  test("with a capacity, the raylet's and its workers' private memory is the node's use; below the threshold nothing happens", () => {
    const n = node();
    n.memory.monitor.tick();
    assert.deepEqual([n.events, n.pressure], [[], []], "200 MiB of 1000");
  });

  test("above the threshold it kills the retriable task's worker and remembers why, named after what each process runs", async () => {
    const n = node();
    n.rss[201] = 500;
    n.memory.monitor.tick();
    await settle();
    assert.deepEqual(n.pressure, [true]);
    assert.equal(n.events.length, 1);
    assert.match(n.events[0] as string, /^kill task: killed by the memory monitor: the node used 600\.0 MiB of 1000\.0 MiB, above its threshold of 0\.5$/);
    const info = n.memory.killOf("task") as OutOfMemoryInfo;
    assert.deepEqual(info, {
      nodeId: "node-1",
      nodeAddress: "127.0.0.1:7000",
      usedBytes: 600 * MiB,
      capacityBytes: 1000 * MiB,
      threshold: 0.5,
      topUsers: [
        { pid: 201, rssBytes: 500 * MiB, name: "task grow" },
        { pid: 202, rssBytes: 50 * MiB, name: "actor Big" },
        { pid: 203, rssBytes: 30 * MiB, name: "idle worker" },
        { pid: process.pid, rssBytes: 20 * MiB, name: "raylet" },
      ],
    });
    assert.equal(n.memory.killOf("actor"), undefined);
    const report = n.memory.deathReport("task", "killed by SIGKILL");
    assert.equal(report.outOfMemory, info);
    assert.match(report.reason, /^killed by SIGKILL: killed by the memory monitor/);
    assert.deepEqual(n.memory.deathReport("idle", "exited with code 0"), { reason: "exited with code 0" });
  });

  test("an actor's kill is reported to the control service before its process is killed", async () => {
    const n = node();
    n.leases.splice(0, 1); // no task: the actor is the only leased worker
    n.rss[202] = 600;
    n.memory.monitor.tick();
    await settle();
    assert.deepEqual(
      n.events.map((e) => e.split(":")[0]),
      ["report actor 750", "kill actor"],
    );
  });
});
