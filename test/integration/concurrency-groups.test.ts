/**
 * Concurrency groups (issue 15, point 4), through the public API: an actor's
 * `concurrencyGroups` and `methods` options and a call's `.options({ concurrencyGroup })`.
 * Each group runs at most its limit of calls at once and never holds back another group's;
 * methods in no group run in the default group, whose limit is maxConcurrency. An unknown
 * group throws at the call site. The options work from a plain .mjs driver.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as lux from "lux";
import { type Gated, Gated as GatedClass, GatedActor, SignalActor, SyncGatedActor, computeInGroup } from "./fixtures/call-limits-defs.js";
import { fixtures, runScript, waitFor, withCluster } from "./helpers.js";

/** Far above normal: a call held back by a full group fails the test with GetTimeoutError instead of stalling it. */
const DEADLINE = { timeoutMs: 30_000 };

withCluster({ head: { numCpus: 2 } });

const GROUPED = { concurrencyGroups: { io: 2, compute: 1 }, methods: { fetch: { concurrencyGroup: "io" }, compute: { concurrencyGroup: "compute" } } } as const;

/** Waits until the actor has exactly `expected` calls inside per tag. */
async function insideIs(actor: lux.ActorHandle<Gated>, expected: Record<string, number>): Promise<void> {
  await waitFor(async () => JSON.stringify(await lux.get(actor.inside.remote(), DEADLINE)) === JSON.stringify(expected), `calls inside: ${JSON.stringify(expected)}`);
}

describe("concurrency groups of an async actor", () => {
  test("a full group never blocks another's calls: with 2 long io calls running, compute and default calls run at once", async () => {
    const signal = SignalActor.remote();
    const actor = GatedActor.options(GROUPED).remote();
    const fetches = ["f1", "f2", "f3"].map((tag) => actor.fetch.remote(tag, signal));
    await insideIs(actor, { f1: 1, f2: 1 });
    // io is full (f3 waits in it); compute and the default group are not.
    assert.equal(await lux.get(actor.compute.remote(21), DEADLINE), 42);
    const other = actor.hold.remote("default", signal);
    await insideIs(actor, { f1: 1, f2: 1, default: 1 });
    await lux.get(signal.send.remote(), DEADLINE);
    assert.deepEqual(await lux.get([...fetches, other], DEADLINE), ["f1", "f2", "f3", "default"]);
    assert.deepEqual(await lux.get(actor.peak.remote(), DEADLINE), { f1: 1, f2: 1, f3: 1, default: 1 });
  });

  test("each group runs up to its limit of calls at once, interleaved at their awaits", async () => {
    const signal = SignalActor.remote();
    const actor = GatedActor.options({ concurrencyGroups: { io: 3 }, methods: { fetch: { concurrencyGroup: "io" } } }).remote();
    const refs = Array.from({ length: 7 }, () => actor.fetch.remote("io", signal));
    await insideIs(actor, { io: 3 });
    await lux.get(signal.send.remote(), DEADLINE);
    await lux.get(refs, DEADLINE);
    assert.deepEqual(await lux.get(actor.peak.remote(), DEADLINE), { io: 3 });
  });

  test("a call's .options({ concurrencyGroup }) puts it in that group; \"default\" in the default one", async () => {
    const signal = SignalActor.remote();
    const actor = GatedActor.options(GROUPED).remote();
    // hold is in the default group; these two go to compute (limit 1): one runs, one waits.
    const inCompute = actor.hold.options({ concurrencyGroup: "compute" });
    const refs = [inCompute.remote("c", signal), inCompute.remote("c", signal)];
    await insideIs(actor, { c: 1 });
    // fetch is in io; this call of it in the default group runs beside them.
    const moved = actor.fetch.options({ concurrencyGroup: "default" }).remote("d", signal);
    await insideIs(actor, { c: 1, d: 1 });
    await lux.get(signal.send.remote(), DEADLINE);
    await lux.get([...refs, moved], DEADLINE);
    assert.deepEqual(await lux.get(actor.peak.remote(), DEADLINE), { c: 1, d: 1 });
  });

  test("methods in no group run in the default group, limited by maxConcurrency, while other groups fill up", async () => {
    const signal = SignalActor.remote();
    // inside() and peak() must not wait behind the default group's one call: they go to compute.
    const methods = { fetch: { concurrencyGroup: "io" }, inside: { concurrencyGroup: "compute" }, peak: { concurrencyGroup: "compute" } } as const;
    const actor = GatedActor.options({ concurrencyGroups: { io: 2, compute: 1 }, methods, maxConcurrency: 1 }).remote();
    const defaults = [actor.hold.remote("default", signal), actor.hold.remote("default", signal)];
    const fetches = [actor.fetch.remote("io", signal), actor.fetch.remote("io", signal)];
    await insideIs(actor, { default: 1, io: 2 });
    await lux.get(signal.send.remote(), DEADLINE);
    await lux.get([...defaults, ...fetches], DEADLINE);
    assert.deepEqual(await lux.get(actor.peak.remote(), DEADLINE), { default: 1, io: 2 });
  });

  test("an unknown group throws InvalidOptionError at the call site, naming it and listing the declared ones", async () => {
    const actor = GatedActor.options(GROUPED).remote();
    const unknown = (e: unknown): boolean =>
      e instanceof lux.InvalidOptionError && e.option === "concurrencyGroup" && /'gpu'/.test(e.message) && /io, compute/.test(e.message);
    assert.throws(() => actor.fetch.options({ concurrencyGroup: "gpu" }), unknown);
    const plain = GatedActor.remote();
    assert.throws(() => plain.fetch.options({ concurrencyGroup: "io" }), (e: unknown) => e instanceof lux.InvalidOptionError && /declares none/.test(e.message));
    assert.throws(
      () => GatedActor.options({ concurrencyGroups: { io: 2 }, methods: { fetch: { concurrencyGroup: "gpu" as "io" } } }),
      (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "methods.fetch.concurrencyGroup" && /'gpu'/.test(e.message) && /groups are io/.test(e.message),
    );
    assert.throws(
      () => lux.remote(GatedClass).options({ concurrencyGroups: { io: 2 }, methods: { fecth: { concurrencyGroup: "io" } } as never }),
      (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "methods.fecth" && /fetch/.test(e.message),
    );
    assert.throws(() => GatedActor.options({ concurrencyGroups: { io: 0 } }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "concurrencyGroups.io");
  });

  test("handles passed on and found by name know the groups", async () => {
    const signal = SignalActor.remote();
    const actor = GatedActor.options({ ...GROUPED, name: "grouped" }).remote();
    const found = await lux.getActor<Gated>("grouped");
    assert.throws(() => found.fetch.options({ concurrencyGroup: "gpu" }), lux.InvalidOptionError);
    const refs = [found.fetch.remote("io", signal), found.fetch.remote("io", signal)];
    await insideIs(actor, { io: 2 });
    assert.equal(await lux.get(found.compute.options({ concurrencyGroup: "compute" }).remote(2), DEADLINE), 4);
    // A copy of the handle in a task: io is full, compute is not; an unknown group throws there too.
    assert.equal(await lux.get(computeInGroup.remote(actor, "compute", 5), DEADLINE), 10);
    assert.equal(await lux.get(computeInGroup.remote(actor, "gpu", 5), DEADLINE), "InvalidOptionError");
    await lux.get(signal.send.remote(), DEADLINE);
    await lux.get(refs, DEADLINE);
  });
});

test("a sync actor's groups are separate queues: a promise-returning call holds its group, not the others", async () => {
  const signal = SignalActor.remote();
  // Without async methods the default group runs one call at a time.
  const actor = SyncGatedActor.options({ concurrencyGroups: { other: 1 }, methods: { step: { concurrencyGroup: "other" } } }).remote();
  const first = actor.step.remote("a", signal);
  const queued = actor.step.remote("b", signal); // waits for a (the group's limit is 1)
  await waitFor(async () => (await lux.get(signal.waiting.remote(), DEADLINE)) === 1, "the first step to wait on the signal");
  assert.deepEqual(await lux.get(actor.log.remote(), DEADLINE), ["start a"], "the default group runs log() while other is full");
  await lux.get(signal.send.remote(), DEADLINE);
  assert.deepEqual(await lux.get([first, queued], DEADLINE), ["a", "b"]);
  assert.deepEqual(await lux.get(actor.log.remote(), DEADLINE), ["start a", "end a", "start b", "end b"]);
});

test("the options form works from a plain .mjs driver run by node", async () => {
  const { code, stdout, stderr } = await runScript(path.join(fixtures, "concurrency-groups-plain.mjs"), { loader: false });
  const m = /^RESULT (.*)$/m.exec(stdout);
  assert.ok(m, `no RESULT line; stdout: ${stdout}\nstderr: ${stderr}`);
  const r = JSON.parse(m[1] as string) as { computed: number; insideWhileFull: number; fetched: string[]; peakIo: number; unknownGroup: string };
  assert.equal(r.computed, 42, "compute ran while io was full");
  assert.equal(r.insideWhileFull, 2);
  assert.deepEqual(r.fetched, ["f1", "f2", "f3"]);
  assert.equal(r.peakIo, 2);
  assert.equal(r.unknownGroup, "InvalidOptionError");
  assert.equal(code, 0, `stderr: ${stderr}`);
});
