/**
 * Memory under time (issue 25, point 6):
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 30] [--json]
 *
 * A LocalCluster (2 CPUs, a 256 MiB object store) runs rounds of mixed work for `--minutes`:
 * no-op tasks, calls to two actors, and puts of 1 KB to 64 MiB (sizes spread evenly in log
 * scale; the big ones spill), each read back and every ref dropped. Then checks:
 *
 *   RSS              every Lux process alive throughout (control service, raylet, workers,
 *                    this driver): its RSS at the end within 10% (+ 8 MiB of slack for small
 *                    processes) of its RSS once warmed up (after the first fifth of the run;
 *                    the control service keeps 20,000 tasks' events, filled by then)
 *   object store     back to its object count and bytes from before the run
 *   files            the raylet's spill folder empty; once the cluster is down, no /dev/shm arena of its raylet
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { nodeStats } from "@lux/core/internal";

const MiB = 1024 * 1024;
const minutes = (() => {
  const i = process.argv.indexOf("--minutes");
  const v = i >= 0 ? Number(process.argv[i + 1]) : 30;
  if (!(v > 0)) throw new Error("--minutes takes a positive number");
  return v;
})();

const noop = lux.remote(function noop(i: number): number {
  return i;
});

class Counter {
  private n = 0;
  add(k: number): number {
    this.n += k;
    return this.n;
  }
}
const CounterActor = lux.remote(Counter);

function rssMiB(pid: number): number | undefined {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
  } catch {
    return undefined; // exited
  }
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Collects this driver's garbage, then again once the refs it dropped were released (their finalizers run after a GC). */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(200);
  gc?.();
}

/** One round of mixed work; every ref made here is dropped when it returns. */
async function round(actors: ReturnType<typeof CounterActor.remote>[], i: number): Promise<void> {
  await lux.get(Array.from({ length: 200 }, (_, k) => noop.remote(k)));
  await lux.get(actors.flatMap((a) => Array.from({ length: 100 }, () => a.add.remote(1))));
  // 1 KB … 64 MiB, log-uniform.
  const size = Math.round(1024 * Math.pow(64 * 1024, Math.random()));
  const ref = lux.put(new Uint8Array(size).fill(i % 251));
  const back = await lux.get(ref);
  if (back.byteLength !== size) throw new Error(`read ${back.byteLength} bytes of ${size}`);
}

async function processes(cluster: LocalCluster): Promise<Map<number, string>> {
  const pids = new Map<number, string>([[cluster.gcsPid, "control service"], [process.pid, "driver"]]);
  for (const n of cluster.nodes) pids.set(n.pid, "raylet");
  for (const pid of (await nodeStats()).workerPids) pids.set(pid, "worker");
  return pids;
}

lux.main(async () => {
  // The control service keeps at most 20,000 tasks' events here (default 100,000): that store
  // is full within the warm-up, so its bounded growth is not counted as growth.
  const cluster = await LocalCluster.start({ head: { numCpus: 2, objectStoreMemory: 256 * MiB }, config: { taskEventsMax: 20_000 } });
  try {
    await lux.init({ address: cluster.address });
    const actors = [CounterActor.remote(), CounterActor.remote()];
    await round(actors, 0); // workers up
    await collectGarbage();
    const baseline = (await nodeStats()).objectStore;
    const deadline = Date.now() + minutes * 60_000;
    const warmUntil = Date.now() + (minutes * 60_000) / 5;
    let warm: Map<number, number> | undefined;
    let rounds = 0;
    while (Date.now() < deadline) {
      await round(actors, ++rounds);
      if (warm === undefined && Date.now() >= warmUntil) {
        await collectGarbage();
        warm = new Map([...(await processes(cluster)).keys()].map((pid) => [pid, rssMiB(pid) ?? NaN]));
      }
    }
    await collectGarbage();
    // Dropped refs reach the store within a few round trips: wait for it to come back.
    let store = (await nodeStats()).objectStore;
    for (let tries = 0; tries < 100 && (store.objects > baseline.objects || store.bytes > baseline.bytes); tries++) {
      await collectGarbage();
      store = (await nodeStats()).objectStore;
    }
    const names = await processes(cluster);
    const rss = [...(warm ?? new Map<number, number>())].map(([pid, before]) => {
      const after = rssMiB(pid);
      const ok = after !== undefined && after <= before * 1.1 + 8;
      return { pid, name: names.get(pid) ?? "exited", before, after: after ?? NaN, ok };
    });
    const sessionDir = cluster.sessionDir;
    const spillDirs = fs.readdirSync(sessionDir).filter((f) => f.startsWith("spill-"));
    const spilledLeft = spillDirs.reduce((n, d) => n + fs.readdirSync(path.join(sessionDir, d)).length, 0);
    // Once the cluster is down, no object store file of its raylets is left in /dev/shm.
    const rayletPids = new Set(cluster.nodes.map((n) => n.pid));
    await lux.shutdown();
    await cluster.shutdown();
    const orphanArenas = fs.readdirSync("/dev/shm").filter((f) => {
      const pid = Number(/^lux-arena-(\d+)-/.exec(f)?.[1]);
      return rayletPids.has(pid) && !pidAlive(pid);
    });
    const r = {
      minutes,
      rounds,
      processes: rss.length,
      processes_flat: rss.filter((p) => p.ok).length,
      store_objects_baseline: baseline.objects,
      store_objects_end: store.objects,
      store_bytes_baseline: baseline.bytes,
      store_bytes_end: store.bytes,
      spill_files_left: spilledLeft,
      orphan_arenas: orphanArenas.length,
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`soak: ${minutes} min, ${rounds} rounds (200 tasks, 200 actor calls, one put of 1 KB-64 MiB each)`);
    for (const p of rss) console.log(`  ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} RSS ${p.before.toFixed(1)} -> ${p.after.toFixed(1)} MiB  ${p.ok ? "flat" : "GREW"}`);
    console.log(`  object store: ${store.objects} objects, ${store.bytes} bytes (before: ${baseline.objects}, ${baseline.bytes})`);
    console.log(`  spill files left: ${spilledLeft}; /dev/shm arenas of dead processes: ${orphanArenas.length}`);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
});
