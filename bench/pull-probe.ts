/**
 * One object pulled between two raylets on loopback, over and over: a quicker probe than
 * bench/transfer.ts for work on the pull path. `npx tsx bench/pull-probe.ts [--tls] [--mib N]
 * [--runs N]` (after a build): each timed pull (after one not timed, which warms the
 * receiving store's pages) prints its GB/s and the CPU seconds both raylets spent on it.
 * With --tls the two nodes run TLS 1.3 and the chunks go over the transfer channel
 * (AES-128-GCM); the figure the issues ask for is bench/security.ts's and bench/transfer.ts's.
 * --wrap SCRIPT starts the control service and raylets through SCRIPT (given node's path and
 * arguments; it must exec them), e.g. to profile them with --cpu-prof or count their system
 * calls with strace.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyConfig, tlsConfigEntries } from "@lux/common";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { flag } from "./flags.js";
import { readFresh, readersOn } from "./transfer-reads.js";
import { makeCertificates } from "./transfer-tls.js";

const MiB = 1024 * 1024;
const bytes = flag("mib", 1024) * MiB;
const runs = flag("runs", 5);
const tls = process.argv.includes("--tls");
const wrap = process.argv.indexOf("--wrap");
if (wrap >= 0) {
  // Daemons are spawned with process.execPath: SCRIPT then execs node itself.
  const script = path.resolve(process.argv[wrap + 1] as string);
  process.env["PULL_PROBE_NODE"] = process.execPath;
  process.execPath = script;
}

/** CPU seconds [user, system] process `pid` used so far. */
function userSystem(pid: number): [number, number] {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-pull-probe-"));
const certs = tls ? makeCertificates(dir) : undefined;
const undo = certs === undefined ? () => undefined : applyConfig(tlsConfigEntries(certs.head));
const store = bytes + 128 * MiB;
const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: store }, ...(certs === undefined ? {} : { tls: certs.head }) });
try {
  await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.2", resources: { n1: 1 }, objectStoreMemory: store, ...(certs === undefined ? {} : { tls: certs.b }) });
  await cluster.waitForNodes(2);
  await lux.init({ address: cluster.address });
  const { actors, storeObjects } = readersOn(["n1"]);
  const raylets = cluster.nodes.map((n) => n.pid);
  const rates: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const before = raylets.map(userSystem);
    // CPU is read around the whole read (the put, the freeing after): a few ms more than the pull's.
    const seconds = await readFresh(actors, bytes, storeObjects);
    const used = raylets.map((pid, j) => userSystem(pid).map((v, k) => v - (before[j]?.[k] ?? 0)));
    if (i > 0) rates.push(bytes / seconds / 1e9);
    const perGiB = (s: number): string => ((s * 2 ** 30) / bytes).toFixed(2);
    const [src, dst] = used.map(([u, s]) => `${perGiB((u ?? 0) + (s ?? 0))} (user ${perGiB(u ?? 0)}, system ${perGiB(s ?? 0)})`);
    console.log(`${i === 0 ? "(not counted) " : ""}${tls ? "TLS" : "plaintext"} pull of ${bytes / MiB} MiB: ${(bytes / seconds / 1e9).toFixed(2)} GB/s; CPU s per GiB: source ${src}, puller ${dst}`);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(`median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(2)} GB/s of ${runs}`);
} finally {
  await lux.shutdown();
  await cluster.shutdown();
  undo();
  fs.rmSync(dir, { recursive: true, force: true });
}
