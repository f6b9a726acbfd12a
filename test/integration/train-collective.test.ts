/**
 * train.collective among a trainer's workers (issue 19, point 4), on a real cluster: allreduce
 * (sum, mean, min, max) of Float32Array, Float64Array and Int32Array with bitwise-identical
 * results on every rank (and in shared arrays, train.collective.sharedArray), broadcast, allgather and barrier; calls that disagree fail every rank
 * with CollectiveError naming the ranks and sizes (and the group goes on); a dead peer or a
 * silent one fails the operation instead of hanging.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, before, test } from "node:test";
import * as lux from "lux";
import * as train from "@lux/train";
import { DTYPES, OPS, collectiveOps, deadPeer, inputOf, mismatchedCalls, silentPeer, type DtypeName } from "./fixtures/train-collective-defs.js";
import { recorded } from "./fixtures/train-defs.js";

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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-train-collective-"));
  return dir;
}

type Ops = Record<string, { digest: string; values: number[] }>;

const inputs = new Map<string, number[]>();

/** Rank r's input as numbers (made once). */
function input(dtype: DtypeName, r: number): number[] {
  const key = `${dtype}/${r}`;
  let values = inputs.get(key);
  if (values === undefined) inputs.set(key, (values = Array.from(inputOf(dtype, r) as Float64Array)));
  return values;
}

function expected(dtype: DtypeName, op: (typeof OPS)[number], ranks: number): number[] {
  const inputs = Array.from({ length: ranks }, (_, r) => input(dtype, r));
  return (inputs[0] as number[]).map((_, i) => {
    const xs = inputs.map((a) => a[i] as number);
    const sum = xs.reduce((s, x) => s + x, 0);
    if (op === "min") return Math.min(...xs);
    if (op === "max") return Math.max(...xs);
    if (op === "sum") return sum;
    return dtype === "Int32Array" ? Math.trunc(sum / ranks) : sum / ranks;
  });
}

test("3 ranks: allreduce sum/mean/min/max of Float32/Float64/Int32 arrays, bitwise identical on every rank and with shared arrays; broadcast, allgather, barrier", async () => {
  const storagePath = tempDir();
  await new train.DataParallelTrainer(collectiveOps, { trainLoopConfig: { dir: storagePath }, scalingConfig: { numWorkers: 3 }, runConfig: { name: "ops", storagePath } }).fit();
  const ranks = [0, 1, 2].map((r) => recorded<Ops>(storagePath, "ops", r)[0] as Ops);
  for (const dtype of Object.keys(DTYPES) as DtypeName[]) {
    for (const op of OPS) {
      const key = `${dtype}/${op}`;
      const results = ranks.map((r) => r[key]);
      assert.equal(new Set(results.map((x) => x?.digest)).size, 1, `${key}: the same bits on every rank`);
      ranks.forEach((r, i) => assert.equal(r[`${key}/shared`]?.digest, r[key]?.digest, `${key}: rank ${i}'s shared array (sharedArray, reduced in place) has the same bits`));
      const want = expected(dtype, op, 3);
      const got = results[0]?.values ?? [];
      // Float32 sums round at each step: allow a few ulps of the largest input, not of the (maybe cancelled) result.
      const tolerance = dtype === "Float32Array" ? 1e-6 : dtype === "Float64Array" ? 1e-14 : 0;
      got.forEach((v, i) => {
        const scale = Math.max(...[0, 1, 2].map((r) => Math.abs(input(dtype, r)[i] as number)));
        assert.ok(Math.abs(v - (want[i] as number)) <= tolerance * 4 * Math.max(1, scale), `${key}[${i}]: ${v}, expected ${want[i]}`);
      });
    }
  }
  for (const r of ranks) assert.deepEqual(r["broadcast"]?.values, Array.from({ length: 10 }, (_, i) => 100 + i), "rank 1's array");
  for (const r of ranks) assert.deepEqual(r["allgather"]?.values, [0, 0, 1, 10, 2, 20]);
  for (const r of ranks) assert.deepEqual(r["barrier"]?.values, [1, 1, 1], "every rank arrived before any left the barrier");
});

test("mismatched lengths or element types: CollectiveError on every rank naming the ranks and both sizes, then the group goes on", async () => {
  const storagePath = tempDir();
  const result = await new train.DataParallelTrainer(mismatchedCalls, { trainLoopConfig: { dir: storagePath }, scalingConfig: { numWorkers: 3 }, runConfig: { name: "mismatch", storagePath } }).fit();
  assert.deepEqual(result.metrics, { after: 6 });
  for (const r of [0, 1, 2]) {
    const [seen] = recorded<{ caught: { name: string; message: string }[]; after: number }>(storagePath, "mismatch", r);
    const [lengths, types] = seen?.caught ?? [];
    assert.equal(lengths?.name, "CollectiveError", `rank ${r}`);
    assert.match(lengths?.message ?? "", /ranks 0, 2 called allreduce\(Float32Array\[4\], op SUM\); rank 1 called allreduce\(Float32Array\[5\], op SUM\)/);
    assert.equal(types?.name, "CollectiveError", `rank ${r}`);
    assert.match(types?.message ?? "", /ranks 0, 1 called allreduce\(Float32Array\[4\].*rank 2 called allreduce\(Float64Array\[4\]/);
    assert.equal(seen?.after, 6);
  }
});

test("a dead peer: the other rank's allreduce fails at once (CollectiveError), and fit() rejects with the dead rank's ActorDiedError", async () => {
  const storagePath = tempDir();
  const started = Date.now();
  const trainer = new train.DataParallelTrainer(deadPeer, { trainLoopConfig: { dir: storagePath }, scalingConfig: { numWorkers: 2 }, runConfig: { name: "dead", storagePath } });
  const e = await trainer.fit().then(() => assert.fail("fit() resolved"), (err: unknown) => err);
  assert.ok(e instanceof train.TrainingFailedError && e.cause instanceof train.WorkerGroupError, String(e));
  assert.ok(e.cause.errors.get(1) instanceof lux.ActorDiedError, `rank 1: ${String(e.cause.errors.get(1))}; ${e.cause.message}`);
  assert.ok(Date.now() - started < 30_000, "well within collectiveTimeoutMs (60 s)");
  const file = path.join(storagePath, "dead-peer.json");
  assert.ok(fs.existsSync(file), "rank 0 saw its operation fail before the group was ended");
  const seen = JSON.parse(fs.readFileSync(file, "utf8")) as { name: string; ms: number; message: string };
  assert.equal(seen.name, "CollectiveError", seen.message);
  assert.ok(seen.ms < 10_000, `${seen.ms} ms`);
});

test("a rank that never calls: the others' operation fails after collectiveTimeoutMs naming it, and the run fails (no hang)", async () => {
  const storagePath = tempDir();
  const trainer = new train.DataParallelTrainer(silentPeer, { trainLoopConfig: { dir: storagePath }, scalingConfig: { numWorkers: 2 }, runConfig: { name: "silent", storagePath }, collectiveTimeoutMs: 1500 });
  const e = await trainer.fit().then(() => assert.fail("fit() resolved"), (err: unknown) => err);
  assert.ok(e instanceof train.TrainingFailedError && e.cause instanceof train.WorkerGroupError, String(e));
  const rank0 = e.cause.errors.get(0);
  assert.ok(rank0 instanceof train.CollectiveError, String(rank0));
  const [seen] = recorded<{ name: string; ms: number; message: string }>(storagePath, "silent", 0);
  assert.equal(seen?.name, "CollectiveError");
  assert.match(seen?.message ?? "", /rank 1/);
  assert.ok((seen?.ms ?? 0) >= 1400 && (seen?.ms ?? Infinity) < 10_000, `${seen?.ms} ms`);
});
