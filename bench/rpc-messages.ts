/**
 * The RPC layer alone, as a driver uses it: `npx tsx bench/rpc-messages.ts` (after a build).
 *
 * Two processes over a Unix socket, the real SocketTransport and RpcConnection. The sender
 * (this process, in the driver's place) keeps WINDOW `pushTask` calls in flight through
 * `RpcConnection.callback`, a new one per reply, until N have been answered; the requests
 * are task-spec-like objects (~10 fields, hex ids, 10 bytes of args, empty arrays), the
 * replies `{ returns: [{ objectId, value: <3 bytes> }] }`. The bytes are Buffers, as
 * core's `serialize` makes them (msgpack bin; a plain Uint8Array would go as an extension).
 * Reported per run, for the sender: round trips per second, CPU µs per round trip (user +
 * system), and GC (count of scavenges and others, total pause ms); the receiver's CPU µs
 * per round trip too. After a warm-up run, RUNS runs; the last line gives medians as JSON.
 *
 * Scavenge counts compare only at a fixed young generation: V8 grows it when much
 * survives, so code that allocates less can show more (smaller) scavenges. For that, run
 * `node --min-semi-space-size=16 --max-semi-space-size=16 --import tsx bench/rpc-messages.ts`.
 *
 * Options: --n N (round trips per run, default 200000), --window N (default 1000),
 * --runs N (default 5), --burst (send all N in one synchronous loop instead of a window).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PerformanceObserver, constants, type PerformanceEntry } from "node:perf_hooks";
import {
  RpcServer,
  arr,
  bytes,
  connectRpc,
  defineService,
  empty,
  num,
  obj,
  returns,
  rpc,
  serve as serveHandlers,
  str,
  anything,
  type RpcConnection,
  type ServiceOf,
} from "@lux/protocol";
import { flag } from "./flags.js";

interface Spec {
  taskId: string;
  jobId: string;
  functionId: string;
  name: string;
  args: Uint8Array;
  resolved: unknown[];
  returnIds: string[];
  ownerAddress: string;
  borrowed: unknown[];
  gpuIds: number[];
}
interface Reply {
  returns: { objectId: string; value: Uint8Array }[];
}
/** Each request is checked against its schema at dispatch, as every Lux request is. */
const BenchService = defineService({
  pushTask: rpc(
    obj({
      taskId: str,
      jobId: str,
      functionId: str,
      name: str,
      args: bytes,
      resolved: arr(anything),
      returnIds: arr(str),
      ownerAddress: str,
      borrowed: arr(anything),
      gpuIds: arr(num),
    }),
    returns<Reply>(),
  ),
  stats: rpc(empty, returns<{ cpuMicros: number }>()),
});
type BenchService = ServiceOf<typeof BenchService>;

const TOKEN = "bench";
const MAX_FRAME_BYTES = 64 << 20;

const hex = (i: number, chars: number): string => i.toString(16).padStart(chars, "0").slice(-chars);

async function serve(address: string): Promise<void> {
  const reply = { returns: [{ objectId: hex(0xabcdef, 32), value: Buffer.from([1, 2, 3]) }] };
  const server = await RpcServer.listen<BenchService>({
    address,
    token: TOKEN,
    maxFrameBytes: MAX_FRAME_BYTES,
    connectTimeoutMs: 10_000,
    callTimeoutMs: 10_000,
    handlers: serveHandlers(BenchService, {
      pushTask: () => reply,
      stats: () => {
        const u = process.cpuUsage();
        return { cpuMicros: u.user + u.system };
      },
    }),
  });
  process.stdout.write("ready\n");
  // The sender closing stdin is our cue to go.
  process.stdin.resume();
  process.stdin.on("end", () => void server.close());
}

interface RunResult {
  perSecond: number;
  cpuMicrosPerCall: number;
  serverCpuMicrosPerCall: number;
  scavenges: number;
  markCompacts: number;
  gcMs: number;
}

function send(conn: RpcConnection<BenchService>, specs: Spec[], n: number, window: number, burst: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    const done = (error: Error | undefined): void => {
      if (error !== undefined) {
        reject(error);
        return;
      }
      answered++;
      if (sent < n) next();
      else if (answered === n) resolve();
    };
    const next = (): void => {
      conn.callback("pushTask", specs[sent++ % specs.length] as Spec, done);
    };
    const first = burst ? n : Math.min(window, n);
    for (let i = 0; i < first; i++) next();
  });
}

async function measure(
  conn: RpcConnection<BenchService>,
  specs: Spec[],
  n: number,
  window: number,
  burst: boolean,
): Promise<RunResult> {
  const gc = { scavenges: 0, markCompacts: 0, ms: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      gc.ms += e.duration;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
      else gc.markCompacts++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const serverBefore = (await conn.call("stats", {})).cpuMicros;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  await send(conn, specs, n, window, burst);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = (await conn.call("stats", {})).cpuMicros;
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return {
    perSecond: n / seconds,
    cpuMicrosPerCall: (cpu.user + cpu.system) / n,
    serverCpuMicrosPerCall: (serverAfter - serverBefore) / n,
    scavenges: gc.scavenges,
    markCompacts: gc.markCompacts,
    gcMs: gc.ms,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const n = flag("n", 200_000);
  const window = flag("window", 1000);
  const runs = flag("runs", 5);
  const burst = process.argv.includes("--burst");
  const dir = mkdtempSync(path.join(tmpdir(), "lux-rpc-bench-"));
  const address = path.join(dir, "rpc.sock");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, "--serve", address], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`receiver exited with ${code}`)));
      child.stdout.setEncoding("utf8");
      child.stdout.once("data", () => resolve());
    });
    const conn = await connectRpc<BenchService>(address, { token: TOKEN, maxFrameBytes: MAX_FRAME_BYTES, connectTimeoutMs: 10_000, callTimeoutMs: 10_000 });
    const specs: Spec[] = [];
    for (let i = 0; i < 1024; i++) {
      specs.push({
        taskId: hex(i * 7919 + 0x1234567, 28),
        jobId: hex(1, 8),
        functionId: hex(0xfeedface, 32),
        name: "bench.noop",
        args: Buffer.alloc(10, i & 0xff),
        resolved: [],
        returnIds: [hex(i * 104729 + 0x7654321, 32)],
        ownerAddress: "127.0.0.1:41235",
        borrowed: [],
        gpuIds: [],
      });
    }
    await measure(conn, specs, Math.min(n, 50_000), window, burst);
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      const res = await measure(conn, specs, n, window, burst);
      results.push(res);
      console.log(
        `run ${r + 1}: ${Math.round(res.perSecond)} round trips/s, ${res.cpuMicrosPerCall.toFixed(2)} µs CPU per round trip ` +
          `(receiver ${res.serverCpuMicrosPerCall.toFixed(2)}), GC ${res.scavenges} scavenges + ${res.markCompacts} other, ` +
          `${res.gcMs.toFixed(1)} ms`,
      );
    }
    conn.close();
    const m = (k: keyof RunResult): number => median(results.map((r) => r[k]));
    console.log(
      JSON.stringify({
        perSecond: Math.round(m("perSecond")),
        cpuMicrosPerCall: Number(m("cpuMicrosPerCall").toFixed(2)),
        serverCpuMicrosPerCall: Number(m("serverCpuMicrosPerCall").toFixed(2)),
        scavenges: m("scavenges"),
        gcMs: Number(m("gcMs").toFixed(1)),
      }),
    );
  } finally {
    child.stdin.end();
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf("--serve");
if (serveAt >= 0) await serve(process.argv[serveAt + 1] as string);
else await main();
