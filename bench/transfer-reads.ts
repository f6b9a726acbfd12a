/**
 * Reads of fresh objects by actors on chosen nodes, timed, for the transfer figures
 * (bench/transfer-figures.ts, bench/transfer-tls.ts, bench/security.ts).
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { nodeStats } from "@lux/core/internal";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export class Reader {
  read(a: Float64Array): number {
    return a.length;
  }
  /** Its node's figures, after collecting this process's garbage (a view it no longer uses pins an object). */
  stats(): Promise<Awaited<ReturnType<typeof nodeStats>>> {
    gc();
    return nodeStats();
  }
}
const ReaderActor = lux.remote(Reader);

/** CPU seconds (user + system) the processes `pids` used so far. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** An actor on each node named by a resource of its own (taking none of it, nor CPU), and the figures of their nodes. */
export function readersOn(resources: readonly string[]): { actors: lux.ActorHandle<Reader>[]; stats(): Promise<Awaited<ReturnType<typeof nodeStats>>[]>; storeObjects(): Promise<number> } {
  const actors = resources.map((r) => ReaderActor.options({ numCpus: 0, resources: { [r]: 0.001 } }).remote());
  const stats = (): Promise<Awaited<ReturnType<typeof nodeStats>>[]> => lux.get(actors.map((a) => a.stats.remote()));
  return { actors, stats, storeObjects: async () => (await stats()).reduce((sum, s) => sum + s.objectStore.objects, 0) };
}

/**
 * Seconds for `readers` to read a fresh object of `bytes` (put by the driver) at once, each
 * checking its length; then the object is dropped and every copy freed (`storeObjects` of
 * the nodes back to 0), so the next one lands on the same store pages.
 */
export async function readFresh(readers: lux.ActorHandle<Reader>[], bytes: number, storeObjects: () => Promise<number>, cpu?: { pids: readonly number[]; seconds: number }): Promise<number> {
  const n = bytes / 8;
  let ref: lux.ObjectRef<Float64Array> | undefined = lux.put(new Float64Array(n).fill(1));
  const cpuBefore = cpu === undefined ? 0 : cpuSeconds(cpu.pids);
  const seconds = await timed(async () => {
    const lengths = await lux.get(readers.map((r) => r.read.remote(ref as lux.ObjectRef<Float64Array>)));
    if (lengths.some((l) => l !== n)) throw new Error("an actor read an object of the wrong length");
  });
  if (cpu !== undefined) cpu.seconds += cpuSeconds(cpu.pids) - cpuBefore;
  ref = undefined;
  // Every copy freed before the next read (its store pages warm, free for it).
  for (let i = 0; (await storeObjects()) > 0; i++) {
    if (i > 400) throw new Error("the copies of a dropped object were not freed");
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return seconds;
}
