/**
 * Issue 17's figures in one run (point 8):
 *
 *   npx tsx bench/security.ts [--runs 3] [--mib 256] [--tasks 2000] [--idle 1000] [--fuzz-seconds 20] [--quick] [--json]
 *
 *   aes-128-gcm     `openssl speed -evp aes-128-gcm` on one core (16 KiB blocks), the bound of
 *                   one TLS stream on this machine, measured in this run
 *   transfer        GB/s of an object of --mib MiB pulled from the head to the other node (an
 *                   actor there reads what the driver put, as bench/transfer.ts's pull),
 *                   plaintext and TLS 1.3, median of --runs each after one not timed (each
 *                   object freed before the next, so pulls land on store pages already
 *                   touched: a first touch costs more than the copy on a VM); TLS must reach
 *                   ≥ 50% of aes-128-gcm
 *   raw streams     GB/s of --mib MiB sent by one plain Node process to another over loopback
 *                   into a reused buffer (as raylets read chunks), TCP and TLS 1.3 (Lux's
 *                   certificates and cipher order): what Node itself reaches here. Raw TCP
 *                   bounds the plaintext transfer; raw TLS no longer bounds the TLS one,
 *                   whose chunks go outside Node's TLS socket, sealed with AES-128-GCM under
 *                   keys exported from it (packages/raylet/src/bulk-channel.ts)
 *   tasks sync      no-op tasks submitted one at a time and awaited, run on the other node so
 *                   each push and reply crosses a TCP link, plaintext and TLS
 *   idle conns      tasks sync (plaintext) while --idle unauthenticated TCP connections are held
 *                   open to the cluster's RPC listeners (control service, raylets, workers, the
 *                   driver; spread so none passes its rpcMaxHandshakingConnections, each reopened
 *                   when the server drops it at its handshake deadline), against without them,
 *                   alternating, median of --runs each: must keep ≥ 90%
 *   fuzz            inputs/s of `npm run fuzz` per target (gcs, raylet, worker, transfer, http),
 *                   --fuzz-seconds each (20) on a cluster of its own, and that every target
 *                   survived (test/fuzz/main.ts)
 *
 * Two nodes on loopback (127.0.0.1 and 127.0.0.2), each with a certificate of its own from
 * `lux cert`'s functions; every cluster runs in a child process (TLS is a process setting).
 * --quick: seconds, for CI's smoke run (figures not meaningful).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { applyConfig, config, tlsConfigEntries, type TlsFiles } from "@lux/common";
import { connectControlService } from "@lux/launcher";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { flag } from "./flags.js";
import { rawStreamSeconds } from "./raw-streams.js";
import { readFresh, readersOn } from "./transfer-reads.js";
import { aesGcmBytesPerSecond, makeCertificates, rawTlsSeconds } from "./transfer-tls.js";

const MiB = 1024 * 1024;
const quick = process.argv.includes("--quick");
const TRANSFER_TARGET = 0.5;
const IDLE_TARGET = 0.9;

const noop = lux.remote(function noop(): number {
  return 0;
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** In a child: a two-node cluster (with TLS when `certs` is given) and this process as its driver. */
async function withCluster<T>(certs: { head: TlsFiles; b: TlsFiles } | undefined, storeBytes: number, body: (cluster: LocalCluster) => Promise<T>): Promise<T> {
  const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: storeBytes }, ...(certs !== undefined ? { tls: certs.head } : {}) });
  const undo = certs === undefined ? undefined : applyConfig(tlsConfigEntries(certs.head));
  try {
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.2", resources: { B: 1 }, objectStoreMemory: storeBytes, ...(certs !== undefined ? { tls: certs.b } : {}) });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
    return await body(cluster);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
    undo?.();
  }
}

/** Seconds to pull a fresh object of `bytes` to node B, per run (run 0 warms up the store's pages). */
async function transferSeconds(runs: number, bytes: number): Promise<number[]> {
  const { actors, storeObjects } = readersOn(["B"]);
  const out: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const seconds = await readFresh(actors, bytes, storeObjects);
    if (i > 0) out.push(seconds);
  }
  await Promise.all(actors.map((a) => lux.kill(a))); // its share of B goes back to the tasks
  return out;
}

/** No-op tasks on node B, one at a time: tasks per second. */
async function tasksSync(tasks: number): Promise<number> {
  const onB = { resources: { B: 1 } };
  for (let i = 0; i < 20; i++) await lux.get(noop.options(onB).remote()); // the lease and the worker warm
  const start = performance.now();
  for (let i = 0; i < tasks; i++) await lux.get(noop.options(onB).remote());
  return tasks / ((performance.now() - start) / 1000);
}

/** Holds `count` idle TCP connections spread over `addresses`, reopening each one the server drops. */
const HOLDER = `
const net = require("node:net");
const [count, ...addresses] = process.argv.slice(1);
let open = 0, reported = false;
function hold(address) {
  const i = address.lastIndexOf(":");
  const s = net.connect(Number(address.slice(i + 1)), address.slice(0, i));
  s.on("connect", () => {
    if (++open === Number(count) && !reported) { reported = true; process.stdout.write("ready\\n"); }
  });
  s.on("error", () => undefined);
  s.on("close", () => { open--; setImmediate(() => hold(address)); });
}
for (let i = 0; i < Number(count); i++) hold(addresses[i % addresses.length]);
`;

async function startHolder(count: number, addresses: string[]): Promise<() => void> {
  const perListener = Math.ceil(count / addresses.length);
  if (perListener > config("rpcMaxHandshakingConnections")) {
    // Past the cap each new connection drops an older one, which the holder reopens: a flood, not idle connections.
    console.error(`security.ts: ${perListener} connections per listener is over rpcMaxHandshakingConnections; the figure measures churn`);
  }
  const holder = spawn(process.execPath, ["-e", HOLDER, String(count), ...addresses], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once("data", () => resolve());
    holder.once("exit", (code) => reject(new Error(`the connection holder exited (${code})`)));
  });
  return () => holder.kill("SIGKILL");
}

/** Every RPC listener of the cluster over TCP: the control service, raylets, workers, drivers. */
async function rpcListeners(cluster: LocalCluster): Promise<string[]> {
  const gcs = await connectControlService(cluster.address, cluster.token);
  try {
    const [nodes, workers] = await Promise.all([gcs.nodes(), gcs.workers()]);
    return [cluster.address, ...nodes.filter((n) => n.alive).map((n) => n.address), ...workers.flatMap((w) => (w.address === null ? [] : [w.address]))];
  } finally {
    gcs.close();
  }
}

/** Child: one measurement, printed as a line of JSON. */
async function child(kind: string, certsDir: string | undefined): Promise<void> {
  const runs = quick ? 1 : flag("runs", 3);
  const bytes = (quick ? 32 : flag("mib", 256)) * MiB;
  const tasks = quick ? 200 : flag("tasks", 2000);
  const certs = certsDir === undefined ? undefined : (JSON.parse(fs.readFileSync(path.join(certsDir, "certs.json"), "utf8")) as { head: TlsFiles; b: TlsFiles });
  const result = await withCluster(certs, 3 * bytes + 256 * MiB, async (cluster) => {
    if (kind === "transfer") return { gb_per_second: bytes / median(await transferSeconds(runs, bytes)) / 1e9, tasks_per_second: await tasksSync(tasks) };
    const without: number[] = [];
    const withIdle: number[] = [];
    await tasksSync(tasks); // warm
    const idle = quick ? 200 : flag("idle", 1000);
    for (let i = 0; i < runs; i++) {
      without.push(await tasksSync(tasks));
      const stop = await startHolder(idle, await rpcListeners(cluster));
      try {
        withIdle.push(await tasksSync(tasks));
      } finally {
        stop();
      }
    }
    return { tasks_per_second: median(without), tasks_per_second_idle: median(withIdle), idle_connections: idle };
  });
  console.log(JSON.stringify(result));
}

/** GB/s of raw streams between two Node processes reading into a reused buffer, TCP and TLS (the head's files), median of 3 each. */
async function rawStreams(dir: string, bytes: number): Promise<{ raw_tcp_gb_per_second: number; raw_tls_gb_per_second: number }> {
  const { head } = JSON.parse(fs.readFileSync(path.join(dir, "certs.json"), "utf8")) as { head: TlsFiles };
  const rate = async (tls: boolean): Promise<number> => {
    const seconds: number[] = [];
    for (let i = 0; i < 3; i++) seconds.push(tls ? await rawTlsSeconds(bytes, head) : await rawStreamSeconds(bytes, true));
    return bytes / median(seconds) / 1e9;
  };
  return { raw_tcp_gb_per_second: await rate(false), raw_tls_gb_per_second: await rate(true) };
}

function runChild(args: string[]): Record<string, number> {
  const run = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), ...args], { encoding: "utf8", maxBuffer: 16 * MiB });
  if (run.status !== 0) throw new Error(`security.ts ${args.join(" ")} exited ${run.status}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as Record<string, number>;
}

/** Inputs/s of the fuzzer per target (`fuzz_<target>_inputs_per_second`), and 1 in `fuzz_ok` if every target survived. */
function fuzzRates(seconds: number): Record<string, number> {
  const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "../test/fuzz/main.ts");
  const run = spawnSync(process.execPath, ["--import", "tsx", main, "--target", "all", "--seconds", String(seconds), "--json"], { encoding: "utf8", maxBuffer: 16 * MiB });
  const last = run.stdout.trim().split("\n").pop() ?? "";
  if (!last.startsWith("{")) throw new Error(`the fuzzer exited ${run.status}: ${run.stderr.slice(-2000)}`);
  const fuzz = JSON.parse(last) as { ok: boolean; targets: { target: string; inputsPerSec: number }[] };
  const out: Record<string, number> = { fuzz_ok: fuzz.ok ? 1 : 0 };
  for (const t of fuzz.targets) out[`fuzz_${t.target}_inputs_per_second`] = t.inputsPerSec;
  return out;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-tls-"));
  try {
    fs.writeFileSync(path.join(dir, "certs.json"), JSON.stringify(makeCertificates(dir)));
    const passOn = ["--runs", "--mib", "--tasks", "--idle"].flatMap((f) => (process.argv.includes(f) ? [f, String(flag(f.slice(2), 1))] : []));
    const common = [...passOn, ...(quick ? ["--quick"] : [])];
    const aes = aesGcmBytesPerSecond(quick ? 1 : 3);
    const raw = await rawStreams(dir, (quick ? 32 : flag("mib", 256)) * MiB);
    const plain = runChild(["--child", "transfer", ...common]);
    const tls = runChild(["--child", "transfer", "--certs", dir, ...common]);
    const idle = runChild(["--child", "idle", ...common]);
    const fuzz = fuzzRates(quick ? 2 : flag("fuzz-seconds", 20));
    report({
      ...fuzz,
      aes_128_gcm_gb_per_second: aes / 1e9,
      transfer_plain_gb_per_second: plain["gb_per_second"] as number,
      transfer_tls_gb_per_second: tls["gb_per_second"] as number,
      transfer_tls_share_of_aes: (tls["gb_per_second"] as number) / (aes / 1e9),
      ...raw,
      transfer_plain_share_of_raw_tcp: (plain["gb_per_second"] as number) / raw.raw_tcp_gb_per_second,
      transfer_tls_share_of_raw_tls: (tls["gb_per_second"] as number) / raw.raw_tls_gb_per_second,
      tasks_sync_plain: plain["tasks_per_second"] as number,
      tasks_sync_tls: tls["tasks_per_second"] as number,
      tasks_sync_without_idle: idle["tasks_per_second"] as number,
      tasks_sync_with_idle: idle["tasks_per_second_idle"] as number,
      idle_connections: idle["idle_connections"] as number,
      idle_share: (idle["tasks_per_second_idle"] as number) / (idle["tasks_per_second"] as number),
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: Record<string, number>): void {
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
    return;
  }
  const mib = quick ? 32 : flag("mib", 256);
  const line = (label: string, value: number, unit: string): void =>
    console.log(`${label.padEnd(60)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(10)} ${unit}`);
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const share = (v: number, target: number): string => `${(v * 100).toFixed(0)}% (target ≥ ${target * 100}%)${v >= target ? "" : "  BELOW"}`;
  console.log(`TLS and idle connections, 2 nodes on loopback, ${os.availableParallelism()} cores${quick ? " (quick: not a measurement)" : ""}`);
  line("openssl speed -evp aes-128-gcm, 1 core, 16 KiB blocks", r["aes_128_gcm_gb_per_second"] as number, "GB/s");
  line(`raw TCP stream ${mib} MiB, 2 Node processes`, r["raw_tcp_gb_per_second"] as number, "GB/s");
  line(`raw TLS 1.3 stream ${mib} MiB, 2 Node processes`, r["raw_tls_gb_per_second"] as number, "GB/s");
  line(`object transfer ${mib} MiB to the other node, plaintext`, r["transfer_plain_gb_per_second"] as number, `GB/s  ${pct(r["transfer_plain_share_of_raw_tcp"] as number)} of raw TCP`);
  line(`object transfer ${mib} MiB to the other node, TLS 1.3`, r["transfer_tls_gb_per_second"] as number, `GB/s  ${share(r["transfer_tls_share_of_aes"] as number, TRANSFER_TARGET)} of AES-GCM, ${pct(r["transfer_tls_share_of_raw_tls"] as number)} of raw TLS`);
  line("tasks sync on the other node, plaintext", r["tasks_sync_plain"] as number, "/s");
  line("tasks sync on the other node, TLS 1.3", r["tasks_sync_tls"] as number, "/s");
  line("tasks sync, plaintext, no idle connections", r["tasks_sync_without_idle"] as number, "/s");
  line(`tasks sync, plaintext, ${r["idle_connections"]} idle unauthenticated connections`, r["tasks_sync_with_idle"] as number, `/s  ${share(r["idle_share"] as number, IDLE_TARGET)}`);
  for (const [key, value] of Object.entries(r)) {
    const target = /^fuzz_(\w+)_inputs_per_second$/.exec(key)?.[1];
    if (target !== undefined) line(`fuzz inputs, target ${target}`, value, "/s");
  }
  console.log(`fuzzed servers all alive and answering: ${r["fuzz_ok"] === 1 ? "yes" : "NO"}`);
}

const childAt = process.argv.indexOf("--child");
const certsAt = process.argv.indexOf("--certs");
if (childAt >= 0) await child(process.argv[childAt + 1] as string, certsAt >= 0 ? process.argv[certsAt + 1] : undefined);
else await main();
