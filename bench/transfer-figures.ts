/**
 * Issue 25 point 3's figures, for bench/transfer.ts and bench/scale.ts: an object pulled
 * between two raylets on loopback beside a raw TCP stream between two plain Node processes
 * measured in the same run, and one object read by actors on every node of a cluster
 * (Ray's `object_store` release test, scaled) against the single pull.
 *
 * A cluster of `nodes` nodes on loopback (the head, where this driver runs, and nodes
 * "n1".."n<nodes-1>"), one actor per node. Each timed read is of a fresh object of `bytes`
 * put by the driver (on the head), until every reader answered; the put is not timed. An
 * actor's method gets the object as its argument: its node's raylet pulls it into its store
 * and the actor gets a view of it (its length is checked, its bytes are not read).
 *   pull                one actor on n1 reads it: one pull, head to n1
 *   read on all nodes   every actor reads it at once: nodes - 1 pulls (the head's actor
 *                       reads its own store); later pulls may read from a node pulling it
 *                       already (a relay)
 * Each is measured first on nodes whose store was never written ("first": every page of the
 * arena is touched for the first time, which costs more than the copy on a VM), then
 * `runs` times into the same, now warm, store pages (the median). Between reads the driver
 * drops the object and waits until every node freed its copy.
 *
 * Raw TCP: one process sends `bytes` to another over 127.0.0.1 in 8 MiB writes; the receiver
 * reads either as Node does by default ("data" events, a new buffer per read) or into one
 * reused buffer (`onread`, as raylets read chunks). The median of three of each.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { nodeStats } from "@lux/core/internal";
import { LocalCluster } from "lux/testing";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;

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

export interface TransferFigures {
  bytes: number;
  nodes: number;
  raw_tcp_gb_per_second: number;
  raw_tcp_reused_buffer_gb_per_second: number;
  pull_first_gb_per_second: number;
  pull_gb_per_second: number;
  /** The pull against the faster raw TCP stream. */
  pull_share_of_raw_tcp: number;
  read_on_all_nodes_first_seconds: number;
  read_on_all_nodes_seconds: number;
  single_pull_seconds: number;
  /** Read on all nodes over the single pull (both warm). */
  read_on_all_nodes_over_single_pull: number;
  /** Of the pulls in the timed reads on all nodes, how many read from a relay. */
  relayed_pulls: number;
  all_node_pulls: number;
  /** CPU seconds of every raylet per timed read: one pull, and the read on all nodes. */
  single_pull_raylet_cpu_seconds: number;
  read_on_all_nodes_raylet_cpu_seconds: number;
  /** The read on all nodes with every core busy with the raylets' CPU, over the single pull: the ratio's floor on this machine. */
  read_on_all_nodes_cpu_floor_over_single_pull: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * One end of a raw stream: `node -e STREAM ROLE TOTAL [PORT]`. Roles: "send-listen" and
 * "recv-listen" listen (and print {port}); "send-dial" and "recv-dial" dial PORT. A receiver
 * prints {seconds} from its first byte to its last; "recv-listen" reads as Node does by
 * default ("data" events, a new buffer per read), "recv-dial" into one reused buffer
 * (node:net's onread, which only a dialling socket takes). With LUX_BENCH_TLS (JSON: PEM file
 * paths and the cipher list), TLS 1.3 with certificates checked both ways.
 */
const STREAM = `
const fs = require("node:fs");
const [role, total, port] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const tlsFiles = process.env.LUX_BENCH_TLS ? JSON.parse(process.env.LUX_BENCH_TLS) : undefined;
const net = require(tlsFiles ? "node:tls" : "node:net");
const secure = tlsFiles ? { cert: fs.readFileSync(tlsFiles.cert), key: fs.readFileSync(tlsFiles.key), ca: fs.readFileSync(tlsFiles.ca), minVersion: "TLSv1.3", ciphers: tlsFiles.ciphers } : {};
const print = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
let got = 0, start;
const received = (n, s) => {
  start ??= process.hrtime.bigint();
  got += n;
  if (got >= total) { print({ seconds: Number(process.hrtime.bigint() - start) / 1e9 }); s.destroy(); process.exit(0); }
  return true;
};
const send = (s) => {
  const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
  let sent = 0;
  const more = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", more);
    }
  };
  more();
};
const ready = tlsFiles ? "secureConnect" : "connect";
if (role.endsWith("-listen")) {
  const server = (tlsFiles ? net.createServer({ ...secure, requestCert: true }) : net.createServer())
    .on(tlsFiles ? "secureConnection" : "connection", (s) => { s.on("error", () => process.exit(1)); if (role === "send-listen") send(s); else s.on("data", (c) => received(c.length, s)); });
  server.listen(0, "127.0.0.1", () => print({ port: server.address().port }));
} else {
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  const onread = role === "recv-dial" ? { onread: { buffer, callback: (n) => received(n, s) } } : {};
  const s = net.connect({ host: "127.0.0.1", port, ...secure, ...onread });
  s.on(ready, () => { if (role === "send-dial") send(s); });
  s.on("error", () => process.exit(1));
}
`;

/** TLS for a raw stream: a node's PEM files (its certificate names 127.0.0.1) and the cipher list. */
export interface RawTls {
  cert: string;
  key: string;
  ca: string;
  ciphers: string;
}

/** Lines of JSON a child prints, one at a time. */
function jsonLines(child: ReturnType<typeof spawn>): () => Promise<Record<string, number>> {
  const lines: string[] = [];
  let buffered = "";
  let waiting: (() => void) | undefined;
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    buffered += d;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
    waiting?.();
  });
  return async () => {
    for (;;) {
      const line = lines.shift();
      if (line !== undefined) return JSON.parse(line) as Record<string, number>;
      await new Promise<void>((resolve, reject) => {
        waiting = resolve;
        child.once("exit", (code) => reject(new Error(`a raw stream process exited (${code})`)));
      });
    }
  };
}

/**
 * Seconds for one plain Node process to send `bytes` to another over loopback: the receiver
 * reading as Node does by default, or into one reused buffer; TCP, or TLS with `tls`.
 */
export async function rawStreamSeconds(bytes: number, reusedBuffer: boolean, tls?: RawTls): Promise<number> {
  const env = { ...process.env, ...(tls !== undefined ? { LUX_BENCH_TLS: JSON.stringify(tls) } : {}) };
  const run = (role: string, port?: number): ReturnType<typeof spawn> =>
    spawn(process.execPath, ["-e", STREAM, role, String(bytes), ...(port !== undefined ? [String(port)] : [])], { stdio: ["ignore", "pipe", "inherit"], env });
  const listener = run(reusedBuffer ? "send-listen" : "recv-listen");
  const fromListener = jsonLines(listener);
  let dialler: ReturnType<typeof spawn> | undefined;
  try {
    const { port } = await fromListener();
    dialler = run(reusedBuffer ? "recv-dial" : "send-dial", port);
    const { seconds } = await (reusedBuffer ? jsonLines(dialler)() : fromListener());
    return seconds as number;
  } finally {
    dialler?.kill();
    listener.kill();
  }
}

/** CPU seconds (user + system) the processes `pids` used so far. */
function cpuSeconds(pids: readonly number[]): number {
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

/** The figures, on a cluster of `nodes` nodes of its own. */
export async function transferFigures(options: { bytes: number; nodes: number; runs: number }): Promise<TransferFigures> {
  const { bytes, nodes, runs } = options;
  const rawDefault: number[] = [];
  const rawReused: number[] = [];
  for (let i = 0; i < 3; i++) {
    rawDefault.push(await rawStreamSeconds(bytes, false));
    rawReused.push(await rawStreamSeconds(bytes, true));
  }
  const store = bytes + 128 * MiB;
  const cluster = await LocalCluster.start({ head: { numCpus: 1, resources: { n0: 1 }, objectStoreMemory: store } });
  try {
    for (let i = 1; i < nodes; i++) await cluster.addNode({ numCpus: 1, resources: { [`n${i}`]: 1 }, objectStoreMemory: store });
    await cluster.waitForNodes(nodes);
    await lux.init({ address: cluster.address });
    const { actors: readers, stats, storeObjects } = readersOn(Array.from({ length: nodes }, (_, i) => `n${i}`));
    await stats(); // every actor up
    const raylets = cluster.nodes.map((n) => n.pid);
    const one = readers.slice(1, 2);
    const pullFirst = await readFresh(one, bytes, storeObjects);
    const pulls: number[] = [];
    const singleCpu = { pids: raylets, seconds: 0 };
    for (let i = 0; i < runs; i++) pulls.push(await readFresh(one, bytes, storeObjects, singleCpu));
    const allFirst = await readFresh(readers, bytes, storeObjects);
    const before = await stats();
    const all: number[] = [];
    const allCpu = { pids: raylets, seconds: 0 };
    for (let i = 0; i < runs; i++) all.push(await readFresh(readers, bytes, storeObjects, allCpu));
    const after = await stats();
    const delta = (k: "pulls" | "fromRelays"): number => after.reduce((sum, s, i) => sum + s.transfers[k] - (before[i]?.transfers[k] ?? 0), 0);
    const raw = Math.max(bytes / median(rawDefault), bytes / median(rawReused)) / 1e9;
    const pull = bytes / median(pulls) / 1e9;
    return {
      bytes,
      nodes,
      raw_tcp_gb_per_second: bytes / median(rawDefault) / 1e9,
      raw_tcp_reused_buffer_gb_per_second: bytes / median(rawReused) / 1e9,
      pull_first_gb_per_second: bytes / pullFirst / 1e9,
      pull_gb_per_second: pull,
      pull_share_of_raw_tcp: pull / raw,
      read_on_all_nodes_first_seconds: allFirst,
      read_on_all_nodes_seconds: median(all),
      single_pull_seconds: median(pulls),
      read_on_all_nodes_over_single_pull: median(all) / median(pulls),
      relayed_pulls: delta("fromRelays"),
      all_node_pulls: delta("pulls"),
      single_pull_raylet_cpu_seconds: singleCpu.seconds / runs,
      read_on_all_nodes_raylet_cpu_seconds: allCpu.seconds / runs,
      read_on_all_nodes_cpu_floor_over_single_pull: allCpu.seconds / runs / availableParallelism() / median(pulls),
    };
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
}

/** The figures as a table. */
export function printTransfer(t: TransferFigures): void {
  const gib = (t.bytes / 2 ** 30).toFixed(t.bytes >= 2 ** 30 ? 0 : 2);
  const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(44)} ${value.padStart(8)} ${unit}`);
  console.log(`object transfer: ${gib} GiB objects, ${t.nodes} nodes on loopback (issue 25 point 3)`);
  line("raw TCP, 2 Node processes, default reads", t.raw_tcp_gb_per_second.toFixed(2), "GB/s");
  line("raw TCP, 2 Node processes, reused buffer", t.raw_tcp_reused_buffer_gb_per_second.toFixed(2), "GB/s");
  line("pull to another node, first (cold store)", t.pull_first_gb_per_second.toFixed(2), "GB/s");
  const share = (100 * t.pull_share_of_raw_tcp).toFixed(0);
  line("pull to another node", t.pull_gb_per_second.toFixed(2), `GB/s (${share}% of the faster raw TCP; target ≥ 80%)${t.pull_share_of_raw_tcp >= 0.8 ? "" : "  BELOW"}`);
  line("read by an actor on every node, first (cold)", t.read_on_all_nodes_first_seconds.toFixed(2), "s");
  const ratio = t.read_on_all_nodes_over_single_pull;
  line("read by an actor on every node", t.read_on_all_nodes_seconds.toFixed(2), `s (${ratio.toFixed(2)}× the single pull's ${t.single_pull_seconds.toFixed(2)} s; target ≤ 2.5×)${ratio <= 2.5 ? "" : "  ABOVE"}`);
  line("  pulls that read from a relay", `${t.relayed_pulls}`, `of ${t.all_node_pulls}`);
  line("  raylets' CPU per read: one pull", t.single_pull_raylet_cpu_seconds.toFixed(2), "s");
  const floor = `${t.read_on_all_nodes_cpu_floor_over_single_pull.toFixed(2)}× the single pull with all ${availableParallelism()} cores on it`;
  line(`  raylets' CPU per read: on every node`, t.read_on_all_nodes_raylet_cpu_seconds.toFixed(2), `s (${floor})`);
}
