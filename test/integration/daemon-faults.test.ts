/**
 * Issue 24 points 1 and 2: a raylet stays up when its spill disk is full (a tmpfs mounted
 * by the test) and when it cannot spawn a worker (its descriptor limit lowered with
 * prlimit); what cannot be done fails with a typed error, and everything else goes on.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { FillerActor, holdUntil, workerPid } from "./fixtures/daemon-faults-defs.js";
import { mountTmpfs, pidAlive, waitFor } from "./helpers.js";

const MiB = 1024 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lux-daemon-faults-"));
let cluster: LocalCluster | undefined;

afterEach(async () => {
  await lux.shutdown();
  await cluster?.shutdown();
  cluster = undefined;
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Starts a task that runs until the returned `go` is called; resolves once it runs. */
async function startHeldTask(name: string): Promise<{ ref: lux.ObjectRef<number>; go: () => void }> {
  const started = path.join(tmp, `${name}.started`);
  const go = path.join(tmp, `${name}.go`);
  const ref = holdUntil.remote(started, go);
  await waitFor(() => fs.existsSync(started), `task ${name} to start`);
  return { ref, go: () => fs.writeFileSync(go, "") };
}

describe("a full spill disk", () => {
  test("the put that cannot fit fails with ObjectStoreFullError naming the spill folder; stored objects stay readable", async () => {
    const disk = mountTmpfs(12 * MiB);
    try {
      cluster = await LocalCluster.start({ head: { numCpus: 2, objectStoreMemory: 32 * MiB, spillDir: disk.dir } });
      const raylet = cluster.nodes[0]?.pid as number;
      const spillDir = path.join(disk.dir, `spill-${raylet}`);
      await lux.init({ address: cluster.address });
      // 30 MiB of a 32 MiB store; the next 10 MiB object spills `a` (the disk holds one such file).
      const [a, b, c] = [1, 2, 3].map((v) => lux.put(new Float64Array(10 * 131072).fill(v)));
      const filler = FillerActor.remote();
      const [d] = await lux.get(filler.fill.remote(10, 4));
      assert.ok(d !== undefined);
      await waitFor(() => fs.existsSync(spillDir) && fs.readdirSync(spillDir).length === 1, "`a` to be spilled");

      const e = lux.put(new Float64Array(10 * 131072).fill(5));
      await assert.rejects(lux.get(e), (err: unknown) => {
        assert.ok(err instanceof lux.ObjectStoreFullError, `got ${String(err)}`);
        const fields = err as unknown as { spillDir?: string; spillDirFreeBytes?: number };
        assert.equal(fields.spillDir, spillDir);
        assert.ok(typeof fields.spillDirFreeBytes === "number" && fields.spillDirFreeBytes < 10 * MiB, `free: ${fields.spillDirFreeBytes}`);
        assert.match(err.message, /spilling objects to disk failed/);
        return true;
      });
      assert.equal(fs.readdirSync(spillDir).length, 1, "no partial spill file stays");
      assert.ok(pidAlive(raylet), "the raylet is up");

      const [bv, cv] = await lux.get([b, c] as lux.ObjectRef<Float64Array>[]);
      assert.deepEqual([bv?.[0], bv?.at(-1), cv?.[0], cv?.at(-1)], [2, 2, 3, 3], "objects in memory read back intact");
      // `a` is on the disk: reading it needs room in memory, which the end of the actor makes
      // (its object `d` is freed with it).
      await lux.kill(filler);
      let av: Float64Array | undefined;
      await waitFor(async () => {
        try {
          av = await lux.get(a as lux.ObjectRef<Float64Array>);
          return true;
        } catch (err) {
          if (err instanceof lux.ObjectStoreFullError) return false;
          throw err;
        }
      }, "the spilled object to be readable once room is made");
      assert.deepEqual([av?.[0], av?.at(-1), av?.length], [1, 1, 10 * 131072], "the spilled object reads back intact");
      assert.equal(await lux.get(workerPid.remote()) > 0, true, "the node still runs tasks");
    } finally {
      await lux.shutdown();
      await cluster?.shutdown();
      cluster = undefined;
      disk.unmount();
    }
  });
});

/** Lowest descriptor number `pid` does not use: with its limit set there, it can open none. */
function firstFreeFd(pid: number): number {
  const used = new Set(fs.readdirSync(`/proc/${pid}/fd`).map(Number));
  let fd = 0;
  while (used.has(fd)) fd++;
  return fd;
}

function setFdLimit(pid: number, soft: number | string, hard: number | string): void {
  const r = spawnSync("prlimit", ["--pid", String(pid), `--nofile=${soft}:${hard}`], { encoding: "utf8" });
  assert.equal(r.status, 0, `prlimit: ${r.stderr || r.error?.message}`);
}

describe("a raylet that cannot spawn a worker", () => {
  test("fails that lease with LeaseFailedError (EMFILE) and keeps serving", async () => {
    // No workers started ahead: the held task's is the only one, so the next task needs a new one.
    cluster = await LocalCluster.start({ head: { numCpus: 2 }, config: { workerPrestartLimit: 0 } });
    const raylet = cluster.nodes[0]?.pid as number;
    await lux.init({ address: cluster.address });
    const held = await startHeldTask("emfile"); // the only worker is busy: the next task needs a new one
    const limits = spawnSync("prlimit", ["--pid", String(raylet), "--nofile", "--raw", "--noheadings", "--output=SOFT,HARD"], { encoding: "utf8" });
    const [soft, hard] = limits.stdout.trim().split(/\s+/) as [string, string];
    setFdLimit(raylet, firstFreeFd(raylet), hard); // only the soft limit: raising a hard one back needs CAP_SYS_RESOURCE
    try {
      await assert.rejects(lux.get(workerPid.options({ maxRetries: 0 }).remote()), (err: unknown) => {
        assert.ok(err instanceof lux.LeaseFailedError, `got ${String(err)}`);
        assert.match(err.message, /could not start a worker process.*EMFILE/);
        return true;
      });
      assert.ok(pidAlive(raylet), "the raylet is up");
    } finally {
      setFdLimit(raylet, soft, hard);
    }
    held.go();
    assert.ok((await lux.get(held.ref)) > 0, "the running task finished");
    assert.ok((await lux.get(workerPid.remote())) > 0, "new workers start once descriptors are available");
    assert.equal((await lux.nodes()).filter((n) => n.alive).length, 1);
  });
});
