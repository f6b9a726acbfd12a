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
 * Raw TCP (bench/raw-streams.ts): one process sends `bytes` to another over 127.0.0.1; the
 * receiver reads as Node does by default or into one reused buffer (as raylets read chunks).
 * The median of three of each. The pull's share is of the default reads (the issue's "raw TCP
 * stream between two Node processes"), and of the reused buffer's for comparison.
 *
 * TLS (issue 17 point 8, bench/transfer-tls.ts): the same pull between two nodes over TLS 1.3,
 * against AES-128-GCM on one core and a raw TLS stream, in the same run.
 */
import { availableParallelism } from "node:os";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { rawStreamSeconds } from "./raw-streams.js";
import { readFresh, readersOn } from "./transfer-reads.js";
import { tlsTransferFigures, type TlsTransferFigures } from "./transfer-tls.js";

const MiB = 1024 * 1024;

export interface TransferFigures extends TlsTransferFigures {
  bytes: number;
  nodes: number;
  raw_tcp_gb_per_second: number;
  raw_tcp_reused_buffer_gb_per_second: number;
  pull_first_gb_per_second: number;
  pull_gb_per_second: number;
  /** The pull against the raw TCP stream as Node reads by default (the reference, bench/transfer.ts's before). */
  pull_share_of_raw_tcp: number;
  /** ... and against the raw stream read into a reused buffer, as raylets read. */
  pull_share_of_raw_tcp_reused_buffer: number;
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

export interface TransferOptions {
  bytes: number;
  nodes: number;
  /** Timed reads of each kind (after the first). */
  runs: number;
  /** Seconds of `openssl speed`. */
  aesSeconds: number;
}

/** Options from the command line (`prefix` before each flag's name: bench/scale.ts's "transfer-"); --quick: seconds, for CI's smoke run. */
export function transferOptions(flag: (name: string, fallback: number) => number, prefix = ""): TransferOptions {
  const quick = process.argv.includes("--quick");
  return {
    bytes: flag(`${prefix}mib`, quick ? 32 : 1024) * MiB,
    nodes: flag(`${prefix}nodes`, quick ? 3 : 8),
    runs: flag(`${prefix}runs`, quick ? 1 : 3),
    aesSeconds: quick ? 1 : 3,
  };
}

/** Every figure: the pulls on a cluster of `nodes` nodes of its own, then over TLS on two nodes. */
export async function transferFigures(options: TransferOptions): Promise<TransferFigures> {
  const plain = await pullFigures(options);
  return { ...plain, ...(await tlsTransferFigures(options)) };
}

async function pullFigures(options: TransferOptions): Promise<Omit<TransferFigures, keyof TlsTransferFigures>> {
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
    const pull = bytes / median(pulls) / 1e9;
    return {
      bytes,
      nodes,
      raw_tcp_gb_per_second: bytes / median(rawDefault) / 1e9,
      raw_tcp_reused_buffer_gb_per_second: bytes / median(rawReused) / 1e9,
      pull_first_gb_per_second: bytes / pullFirst / 1e9,
      pull_gb_per_second: pull,
      pull_share_of_raw_tcp: (pull * median(rawDefault) * 1e9) / bytes,
      pull_share_of_raw_tcp_reused_buffer: (pull * median(rawReused) * 1e9) / bytes,
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
  const pct = (v: number): string => `${(100 * v).toFixed(0)}%`;
  const shares = `${pct(t.pull_share_of_raw_tcp)} of raw TCP, target ≥ 80%${t.pull_share_of_raw_tcp >= 0.8 ? "" : "  BELOW"}; ${pct(t.pull_share_of_raw_tcp_reused_buffer)} of the reused buffer's`;
  line("pull to another node", t.pull_gb_per_second.toFixed(2), `GB/s (${shares})`);
  line("read by an actor on every node, first (cold)", t.read_on_all_nodes_first_seconds.toFixed(2), "s");
  const ratio = t.read_on_all_nodes_over_single_pull;
  line("read by an actor on every node", t.read_on_all_nodes_seconds.toFixed(2), `s (${ratio.toFixed(2)}× the single pull's ${t.single_pull_seconds.toFixed(2)} s; target ≤ 2.5×)${ratio <= 2.5 ? "" : "  ABOVE"}`);
  line("  pulls that read from a relay", `${t.relayed_pulls}`, `of ${t.all_node_pulls}`);
  line("  raylets' CPU per read: one pull", t.single_pull_raylet_cpu_seconds.toFixed(2), "s");
  const floor = `${t.read_on_all_nodes_cpu_floor_over_single_pull.toFixed(2)}× the single pull with all ${availableParallelism()} cores on it`;
  line(`  raylets' CPU per read: on every node`, t.read_on_all_nodes_raylet_cpu_seconds.toFixed(2), `s (${floor})`);
  line("openssl speed -evp aes-128-gcm, 1 core", t.aes_128_gcm_gb_per_second.toFixed(2), "GB/s");
  line("raw TLS 1.3, 2 Node processes, reused buffer", t.raw_tls_gb_per_second.toFixed(2), "GB/s");
  const aes = t.tls_pull_share_of_aes_128_gcm;
  const tlsShares = `${pct(aes)} of AES-GCM, target ≥ 50%${aes >= 0.5 ? "" : "  BELOW"}; ${pct(t.tls_pull_share_of_raw_tls)} of raw TLS`;
  line("pull to another node, TLS 1.3", t.tls_pull_gb_per_second.toFixed(2), `GB/s (${tlsShares})`);
}
