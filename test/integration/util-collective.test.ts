/**
 * Issue 15 point 8: `lux.util.collective` among 4 actors on 2 nodes (127.0.0.2 and .3, two
 * actors each): allreduce with each op on random Float32Array/Float64Array/Int32Array against a
 * result computed here, broadcast, allgather, reduce, barrier, send/recv; ranks that disagree on
 * lengths or types all reject with CollectiveError; a killed member makes the others reject
 * within their timeoutMs; groups made with createCollectiveGroup and with initCollectiveGroup;
 * shared arrays (sharedArray) reduced in place on one node, with the bits of ordinary arrays.
 * Every wait is bounded (each call's timeoutMs, and the test runner's).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, test } from "node:test";
import * as lux from "lux";
import { MemberActor, type Member, type Outcome } from "./fixtures/collective-defs.js";
import { withCluster } from "./helpers.js";

type Arr = lux.util.collective.CollectiveArray;
type Op = lux.util.collective.ReduceOp;

let members: lux.ActorHandle<Member>[];
const OPTIONS = { timeoutMs: 20_000 };
/** No test waits for a result longer than this. */
const DEADLINE = { timeoutMs: 60_000 };

const ctx = withCluster({ head: { numCpus: 1, nodeIp: "127.0.0.2", resources: { a: 4 } } }, async (cluster) => {
  await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.3", resources: { b: 4 } });
  await lux.init({ address: cluster.address, namespace: "collective-test" });
  members = ["a", "a", "b", "b"].map((r) => MemberActor.options({ resources: { [r]: 1 } }).remote());
  await lux.util.collective.createCollectiveGroup(members);
});

/** The values of `refs`; a test never waits for them longer than a minute. */
function all<T>(refs: readonly lux.ObjectRef<T>[]): Promise<T[]> {
  return lux.get([...refs], DEADLINE);
}

/** Deterministic pseudo-random numbers in [lo, hi). */
function random(seed: number, n: number, lo: number, hi: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return lo + ((x >>> 0) / 4294967296) * (hi - lo);
  });
}

function value<T>(o: Outcome<T>, what: string): T {
  if (!o.ok) assert.fail(`${what}: ${o.name}: ${o.message}`);
  return o.value;
}

function combine(op: Op): (a: number, b: number) => number {
  return { SUM: (a: number, b: number) => a + b, PRODUCT: (a: number, b: number) => a * b, MIN: Math.min, MAX: Math.max }[op];
}

// Tolerances are relative to the sum of the terms' magnitudes (a float sum's error follows them).
const DTYPES = [
  { ctor: Float32Array, tolerance: 1e-6, values: (seed: number, n: number, op: Op) => random(seed, n, op === "PRODUCT" ? 0.5 : -100, op === "PRODUCT" ? 1.5 : 100) },
  { ctor: Float64Array, tolerance: 1e-12, values: (seed: number, n: number, op: Op) => random(seed, n, op === "PRODUCT" ? 0.5 : -100, op === "PRODUCT" ? 1.5 : 100) },
  { ctor: Int32Array, tolerance: 0, values: (seed: number, n: number, op: Op) => random(seed, n, op === "PRODUCT" ? -40 : -1e6, op === "PRODUCT" ? 40 : 1e6).map(Math.trunc) },
] as const;

describe("a group of 4 actors on 2 nodes (createCollectiveGroup)", () => {
  test("the actors run two on each node, each its own process; ranks and size", async () => {
    const where = await all(members.map((m) => m.where.remote()));
    assert.equal(new Set(where.map((w) => w.pid)).size, 4);
    assert.equal(where[0]?.nodeId, where[1]?.nodeId);
    assert.equal(where[2]?.nodeId, where[3]?.nodeId);
    assert.notEqual(where[0]?.nodeId, where[2]?.nodeId);
    assert.deepEqual(await all(members.map((m) => m.rank.remote())), [0, 1, 2, 3].map((rank) => ({ rank, size: 4 })));
    assert.deepEqual(await lux.util.collective.getRank(), -1, "the driver is not a member");
  });

  for (const { ctor, tolerance, values } of DTYPES) {
    test(`allreduce ${ctor.name}: SUM, PRODUCT, MIN and MAX against a local computation, the same on every rank`, async () => {
      for (const [i, op] of (["SUM", "PRODUCT", "MIN", "MAX"] as const).entries()) {
        // Megabytes (many socket reads), and not a multiple of anything. Messages of several
        // chunks are covered with small chunks in packages/util/test/collective-peer-network.test.ts.
        const n = i === 0 ? 700_001 : 20_011;
        // As the actors see them: in the array's type.
        const inputs = members.map((_, r) => [...ctor.from(values(1000 * i + r + 1, n, op))]);
        const outs = (await all(members.map((m, r) => m.allreduce.remote(ctor.from(inputs[r] as number[]) as Arr, { op, ...OPTIONS })))).map((o, r) =>
          value(o, `${op} on rank ${r}`),
        );
        const f = combine(op);
        const expected = (inputs[0] as number[]).map((_, k) => inputs.map((v) => v[k] as number).reduce((a, b) => f(a, b)));
        const got = outs[0] as Arr;
        assert.equal(got.constructor, ctor);
        assert.equal(got.length, n);
        for (let k = 0; k < n; k++) {
          const want = expected[k] as number;
          const g = got[k] as number;
          const scale = op === "SUM" ? inputs.reduce((s, v) => s + Math.abs(v[k] as number), 0) : Math.abs(want);
          if (Math.abs(g - want) > tolerance * Math.max(1, scale)) assert.fail(`${op} element ${k}: ${g}, expected ${want}`);
        }
        for (const out of outs) assert.deepEqual(out, got, `${op}: every rank has the same bits`);
      }
    });
  }

  test("the data goes from actor to actor: neither the control service nor a raylet reads it", async () => {
    const daemons = [ctx.cluster.gcsPid, ...ctx.cluster.nodes.map((n) => n.pid)];
    const readBytes = (): number[] => daemons.map((pid) => Number(/rchar: (\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]));
    const mib = 16;
    const before = readBytes();
    const outs = await all(members.map((m) => m.allreduceOnes.remote((mib * 1024 * 1024) / 4, OPTIONS)));
    const read = readBytes().map((n, i) => n - (before[i] as number));
    for (const o of outs) assert.deepEqual(value(o, "allreduce"), [4, 4]);
    // The arrays' bytes (4 × 16 MiB) would show; the calls and the rendezvous are small.
    for (const [i, bytes] of read.entries()) assert.ok(bytes < 2 * 1024 * 1024, `${i === 0 ? "the control service" : `raylet ${i}`} read ${bytes} bytes`);
  });

  test("broadcast from rank 2, reduce to rank 1, allgather", async () => {
    const n = 300_007;
    const src = Float64Array.from(random(7, n, -1, 1));
    const b = await all(members.map((m, r) => m.broadcast.remote(r === 2 ? src : new Float64Array(n), { srcRank: 2, ...OPTIONS })));
    b.forEach((o, r) => assert.deepEqual(value(o, `broadcast on rank ${r}`), src));

    const inputs = members.map((_, r) => Int32Array.from(random(r + 20, n, -1e5, 1e5).map(Math.trunc)));
    const red = await all(members.map((m, r) => m.reduce.remote(inputs[r] as Int32Array, { dstRank: 1, op: "MAX", ...OPTIONS })));
    const max = Int32Array.from({ length: n }, (_, k) => Math.max(...inputs.map((v) => v[k] as number)));
    red.forEach((o, r) => assert.deepEqual(value(o, `reduce on rank ${r}`), r === 1 ? max : inputs[r], `rank ${r}`));

    const pieces = members.map((_, r) => Float32Array.from(random(r + 40, 1000, 0, 1)));
    const g = await all(members.map((m, r) => m.allgather.remote(pieces[r] as Float32Array, OPTIONS)));
    g.forEach((o, r) => assert.deepEqual(value(o, `allgather on rank ${r}`), pieces, `rank ${r}`));
  });

  test("barrier: nobody passes before the last rank arrives", async () => {
    const early = members.slice(0, 3).map((m) => m.barrier.remote(OPTIONS));
    const [ready] = await lux.wait(early, { numReturns: 1, timeoutMs: 500 });
    assert.equal(ready.length, 0, "three of four ranks wait at the barrier");
    const arrived = Date.now();
    const passed = await all([...early, (members[3] as lux.ActorHandle<Member>).barrier.remote(OPTIONS)]);
    for (const o of passed) assert.ok(value(o, "barrier") >= arrived - 50, "passed after the last rank arrived");
  });

  test("send and recv within a node and across nodes, both ways", async () => {
    const [m0, m1, , m3] = members as [lux.ActorHandle<Member>, lux.ActorHandle<Member>, lux.ActorHandle<Member>, lux.ActorHandle<Member>];
    const data = Float32Array.from(random(99, 500_000, -5, 5));
    const [sent, got] = await lux.get([m0.send.remote(data, { dstRank: 3, ...OPTIONS }), m3.recv.remote(new Float32Array(data.length), { srcRank: 0, ...OPTIONS })], DEADLINE);
    value(sent as Outcome<null>, "send 0 → 3");
    assert.deepEqual(value(got as Outcome<Arr>, "recv 3 ← 0"), data);
    const back = Int32Array.from([1, 2, 3]);
    const [sent2, got2] = await lux.get([m1.send.remote(back, { dstRank: 0, ...OPTIONS }), m0.recv.remote(new Int32Array(3), { srcRank: 1, ...OPTIONS })], DEADLINE);
    value(sent2 as Outcome<null>, "send 1 → 0");
    assert.deepEqual(value(got2 as Outcome<Arr>, "recv 0 ← 1"), back);
  });

  test("ranks whose lengths or types disagree all reject with CollectiveError; the group works after", async () => {
    const lengths = await all(members.map((m, r) => m.allreduce.remote(new Float32Array(r === 2 ? 999 : 1000), OPTIONS)));
    for (const o of lengths) {
      assert.ok(!o.ok && o.collective && o.name === "CollectiveError", JSON.stringify(o));
      assert.match(o.message, /the ranks disagree: ranks 0, 1, 3 called allreduce\(Float32Array\[1000\], op SUM\); rank 2 called allreduce\(Float32Array\[999\], op SUM\)/);
    }
    const types = await all(members.map((m, r) => m.allreduce.remote(r === 0 ? new Float64Array(10) : new Float32Array(10), OPTIONS)));
    for (const o of types) assert.ok(!o.ok && o.collective && /rank 0 called allreduce\(Float64Array\[10\]/.test(o.message), JSON.stringify(o));
    const p2p = await lux.get([(members[0] as lux.ActorHandle<Member>).send.remote(new Int32Array(5), { dstRank: 2, ...OPTIONS }), (members[2] as lux.ActorHandle<Member>).recv.remote(new Int32Array(6), { srcRank: 0, ...OPTIONS })], DEADLINE);
    for (const o of p2p) assert.ok(!o.ok && o.collective && /the sender called send\(Int32Array\[5\]\), the receiver recv\(Int32Array\[6\]\)/.test(o.message), JSON.stringify(o));
    const ok = await all(members.map((m) => m.allreduce.remote(Int32Array.from([1, 2]), OPTIONS)));
    for (const o of ok) assert.deepEqual(value(o, "allreduce after the disagreements"), Int32Array.from([4, 8]));
  });
});

describe("shared arrays (sharedArray): allreduce in place among the ranks of one node", () => {
  test("2 and 3 ranks of one node: the same bits as ordinary arrays, every op; the ranks map each other's arrays", async () => {
    const third = MemberActor.options({ resources: { a: 1 } }).remote();
    const [m0, m1] = members as [lux.ActorHandle<Member>, lux.ActorHandle<Member>];
    const pids = (await all([m0, m1, third].map((m) => m.where.remote()))).map((w) => w.pid);
    for (const [groupName, group] of [["shared2", [m0, m1]], ["shared3", [m0, m1, third]]] as const) {
      await lux.util.collective.createCollectiveGroup(group, { groupName });
      for (const [i, { ctor, values }] of DTYPES.entries()) {
        for (const op of ["SUM", "PRODUCT", "MIN", "MAX"] as const) {
          const n = op === "SUM" ? 500_003 : 10_007;
          const inputs = group.map((_, r) => ctor.from(values(100 * i + r + 1, n, op)) as Arr);
          const call = (shared: boolean): Promise<Arr[]> =>
            all(group.map((m, r) => m.allreduceCopy.remote(inputs[r] as Arr, shared, { groupName, op, ...OPTIONS }))).then((os) =>
              os.map((o, r) => value(o, `${groupName} ${ctor.name} ${op}, ${shared ? "shared" : "ordinary"}, rank ${r}`)),
            );
          const ordinary = await call(false);
          const shared = await call(true);
          shared.forEach((a, r) => assert.deepEqual(a, ordinary[r], `${groupName} ${ctor.name} ${op}: rank ${r}`));
        }
      }
      const owners = await all(group.map((m) => m.sharedArrayOwners.remote()));
      owners.forEach((o, r) => {
        // The others' last arrays stay mapped until a later allreduce says they were collected.
        for (const [q, pid] of pids.slice(0, group.length).entries()) {
          if (q !== r) assert.ok(o.includes(pid), `${groupName}: rank ${r} mapped rank ${q}'s arrays (process ${pid}; it has those of ${o.join(", ")})`);
        }
      });
      await lux.util.collective.destroyCollectiveGroup(groupName);
    }
    await lux.kill(third);
  });

  test("one rank shared, the other not; every rank shared across two nodes: the result of ordinary arrays", async () => {
    const [m0, m1] = members as [lux.ActorHandle<Member>, lux.ActorHandle<Member>];
    await lux.util.collective.createCollectiveGroup([m0, m1], { groupName: "mixed" });
    const n = 300_001;
    const inputs = [0, 1].map((r) => Float32Array.from(random(r + 500, n, -100, 100)));
    const mixed = await all([m0.allreduceCopy.remote(inputs[0] as Arr, true, { groupName: "mixed", ...OPTIONS }), m1.allreduceCopy.remote(inputs[1] as Arr, false, { groupName: "mixed", ...OPTIONS })]);
    const sum = Float32Array.from({ length: n }, (_, k) => (inputs[0]?.[k] as number) + (inputs[1]?.[k] as number));
    mixed.forEach((o, r) => assert.deepEqual(value(o, `mixed, rank ${r}`), sum));
    await lux.util.collective.destroyCollectiveGroup("mixed");

    const four = members.map((_, r) => Int32Array.from(random(r + 600, n, -1e6, 1e6).map(Math.trunc)));
    const across = await all(members.map((m, r) => m.allreduceCopy.remote(four[r] as Arr, true, OPTIONS)));
    const total = Int32Array.from({ length: n }, (_, k) => four.reduce((s, a) => s + (a[k] as number), 0));
    across.forEach((o, r) => assert.deepEqual(value(o, `across nodes, rank ${r}`), total));
  });
});

describe("initCollectiveGroup in each actor, and a member killed", () => {
  test("a group joined from inside the actors; a killed member makes the others reject within timeoutMs", async () => {
    const group = ["a", "a", "b", "b"].map((r) => MemberActor.options({ resources: { [r]: 1 } }).remote());
    const groupName = "joined";
    await all(group.map((m, rank) => m.init.remote({ worldSize: 4, rank, groupName })));
    assert.deepEqual(await all(group.map((m) => m.rank.remote(groupName))), [0, 1, 2, 3].map((rank) => ({ rank, size: 4 })));
    const sums = await all(group.map((m, r) => m.allreduce.remote(Float64Array.from([r, 1]), { groupName, ...OPTIONS })));
    for (const o of sums) assert.deepEqual(value(o, "allreduce"), Float64Array.from([6, 4]));

    const timeoutMs = 8000;
    const waiting = group.slice(0, 3).map((m) => m.allreduce.remote(new Float32Array(100_000), { groupName, timeoutMs }));
    const [ready] = await lux.wait(waiting, { numReturns: 1, timeoutMs: 300 });
    assert.equal(ready.length, 0, "the three wait for the fourth");
    await lux.kill(group[3] as lux.ActorHandle<Member>);
    const outcomes = await lux.get(waiting, { timeoutMs: timeoutMs + 10_000 });
    for (const o of outcomes) {
      assert.ok(!o.ok && o.collective, JSON.stringify(o));
      assert.ok(o.ms <= timeoutMs + 2000, `rejected within timeoutMs (${o.ms} ms)`);
      assert.match(o.message, /rank 3 left the group|rank \d gave up|did not complete within timeoutMs/);
    }
    // Later calls fail at once: the member is gone.
    const again = await all(group.slice(0, 3).map((m) => m.barrier.remote({ groupName, timeoutMs })));
    for (const o of again) assert.ok(!o.ok && o.collective && o.ms < timeoutMs, JSON.stringify(o));
    await all(group.slice(0, 3).map((m) => m.destroy.remote(groupName)));
    for (const m of group.slice(0, 3)) await lux.kill(m);
  });
});
