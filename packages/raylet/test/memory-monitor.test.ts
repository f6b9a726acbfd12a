/**
 * The memory monitor's policy on a FakeClock with scripted measurements: which worker it
 * kills (pickVictim), one kill at a time (the victim must exit and the grace pass before
 * another), pressure reported when the node crosses its threshold either way.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, type ProcessMemory } from "@lux/protocol";
import { MemoryMonitor, type OomMeasure } from "../src/memory-monitor.js";
import type { MemorySample } from "../src/memory-usage.js";
import { pickVictim, type OomCandidate } from "../src/oom-victim.js";

const candidate = (workerId: string, grantSeq: number, kind: { actor?: boolean; retriable?: boolean } = {}): OomCandidate => ({
  workerId,
  pid: grantSeq + 100,
  description: kind.actor === true ? `actor ${workerId}` : `task ${workerId}`,
  actor: kind.actor ?? false,
  retriable: kind.retriable ?? false,
  grantSeq,
});

describe("pickVictim", () => {
  test("the newest retriable task, else the newest actor with restarts left, else the newest of any", () => {
    const oldTask = candidate("old-task", 1, { retriable: true });
    const newTask = candidate("new-task", 2, { retriable: true });
    const restartable = candidate("restartable", 5, { actor: true, retriable: true });
    const once = candidate("once", 6);
    const lastActor = candidate("last-actor", 7, { actor: true });
    assert.equal(pickVictim([oldTask, newTask, restartable, once, lastActor])?.workerId, "new-task", "retriable tasks first, even when older");
    assert.equal(pickVictim([restartable, once, lastActor])?.workerId, "restartable", "then actors that restart");
    assert.equal(pickVictim([once, lastActor])?.workerId, "last-actor", "then the newest of any");
    assert.equal(pickVictim([lastActor, once])?.workerId, "last-actor", "by grant order, not list order");
    assert.equal(pickVictim([]), undefined);
  });
});

const MiB = 1024 ** 2;

/** A monitor over a scripted measurement and candidate list; records kills and pressure changes. */
function monitor(options: { threshold?: number; intervalMs?: number; killGraceMs?: number } = {}) {
  const clock = new FakeClock();
  const state = {
    sample: { usedBytes: 100 * MiB, capacityBytes: 1000 * MiB } as MemorySample | undefined,
    candidates: [] as OomCandidate[],
    processes: [] as ProcessMemory[],
    exited: new Set<string>(),
  };
  const kills: { victim: OomCandidate; measure: OomMeasure }[] = [];
  const pressure: boolean[] = [];
  const m = new MemoryMonitor({
    clock,
    intervalMs: options.intervalMs ?? 250,
    threshold: options.threshold ?? 0.9,
    killGraceMs: options.killGraceMs ?? 1000,
    sample: () => state.sample,
    processes: () => [...state.processes],
    candidates: () => state.candidates,
    exited: (workerId) => state.exited.has(workerId),
    kill: (victim, measure) => kills.push({ victim, measure }),
    pressure: (above) => pressure.push(above),
  });
  const use = (mib: number): void => {
    state.sample = { usedBytes: mib * MiB, capacityBytes: 1000 * MiB };
  };
  return { clock, state, kills, pressure, monitor: m, use };
}

describe("MemoryMonitor", () => {
  test("measures every interval; above the threshold it reports pressure and kills the victim, with what it measured", () => {
    const t = monitor();
    t.state.candidates = [candidate("a", 1, { retriable: true }), candidate("b", 2, { retriable: true })];
    t.state.processes = [
      { pid: 1, rssBytes: 20 * MiB, name: "raylet" },
      { pid: 102, rssBytes: 800 * MiB, name: "task b" },
      { pid: 101, rssBytes: 60 * MiB, name: "task a" },
    ];
    t.monitor.start();
    t.use(950);
    t.clock.advance(249);
    assert.equal(t.kills.length, 0, "not measured before its interval");
    t.clock.advance(1);
    assert.deepEqual(t.pressure, [true]);
    assert.equal(t.monitor.underPressure, true);
    assert.equal(t.kills.length, 1);
    const kill = t.kills[0];
    assert.ok(kill !== undefined);
    const { victim, measure } = kill;
    assert.equal(victim.workerId, "b");
    assert.deepEqual(measure, {
      usedBytes: 950 * MiB,
      capacityBytes: 1000 * MiB,
      threshold: 0.9,
      topUsers: [
        { pid: 102, rssBytes: 800 * MiB, name: "task b" },
        { pid: 101, rssBytes: 60 * MiB, name: "task a" },
        { pid: 1, rssBytes: 20 * MiB, name: "raylet" },
      ],
    });
    t.monitor.stop();
    assert.equal(t.clock.pendingTimers, 0);
  });

  test("kills no other worker until the victim exited and the grace period passed, then the next if still above", () => {
    const t = monitor({ killGraceMs: 1000 });
    t.state.candidates = [candidate("a", 1, { retriable: true }), candidate("b", 2, { retriable: true })];
    t.use(950);
    t.monitor.tick();
    assert.deepEqual(t.kills.map((k) => k.victim.workerId), ["b"]);
    t.clock.advance(2000);
    t.monitor.tick();
    assert.equal(t.kills.length, 1, "b has not exited: its memory may not be returned yet");
    t.state.exited.add("b");
    t.state.candidates = [candidate("a", 1, { retriable: true })];
    t.monitor.tick();
    assert.deepEqual(t.kills.map((k) => k.victim.workerId), ["b", "a"], "exited, grace passed, still above: the next one");
  });

  test("one spike costs one worker: within the grace after the victim exited, no other is killed", () => {
    const t = monitor({ killGraceMs: 1000 });
    t.state.candidates = [candidate("a", 1, { retriable: true }), candidate("b", 2, { retriable: true })];
    t.use(950);
    t.monitor.tick();
    t.state.exited.add("b");
    t.state.candidates = [candidate("a", 1, { retriable: true })];
    t.clock.advance(999);
    t.monitor.tick();
    assert.equal(t.kills.length, 1);
    t.use(500); // the kill's memory was returned
    t.clock.advance(1);
    t.monitor.tick();
    assert.equal(t.kills.length, 1);
    assert.deepEqual(t.pressure, [true, false], "below again: pressure ends");
    t.use(950);
    t.monitor.tick();
    assert.deepEqual(t.kills.map((k) => k.victim.workerId), ["b", "a"], "a new spike after dropping below kills at once");
  });

  test("above the threshold with nothing to kill: pressure only (new leases go elsewhere or wait)", () => {
    const t = monitor();
    t.use(950);
    t.monitor.tick();
    t.monitor.tick();
    assert.deepEqual(t.kills, []);
    assert.deepEqual(t.pressure, [true], "reported once, not per measurement");
  });

  test("exactly at the threshold is not above it; an unreadable measurement changes nothing", () => {
    const t = monitor({ threshold: 0.9 });
    t.state.candidates = [candidate("a", 1)];
    t.use(900);
    t.monitor.tick();
    t.state.sample = undefined;
    t.monitor.tick();
    assert.deepEqual([t.kills, t.pressure], [[], []]);
  });

  test("an interval of 0 turns the monitor off", () => {
    const t = monitor({ intervalMs: 0 });
    t.use(990);
    t.state.candidates = [candidate("a", 1)];
    t.monitor.start();
    assert.equal(t.clock.pendingTimers, 0);
    t.clock.advance(10_000);
    assert.deepEqual(t.kills, []);
  });
});
