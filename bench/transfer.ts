/**
 * Object transfer between two nodes on loopback: `npx tsx bench/transfer.ts` (after a build).
 *
 * A LocalCluster of two nodes (the head, where the driver runs, and node B). Each run
 * makes a fresh object of SIZE bytes and times moving it to the other node's store:
 *   pull to B           a task on B reads an object put by the driver (raylet B pulls it)
 *   pull to head        the driver gets an object a task made on B (the head's raylet pulls it)
 * beside raw TCP measured in the same run: one plain Node process sends SIZE bytes to
 * another over 127.0.0.1 in 8 MiB writes.
 *
 * Options: --runs N (default 5), --mib N (object size, default 256).
 */
import { spawn } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { flag } from "./flags.js";
import { LocalCluster } from "lux/testing";

const MiB = 1024 * 1024;

const touch = lux.remote((a: Float64Array) => a.length);
const makeOnB = lux.remote((n: number) => new Float64Array(n).fill(1));


setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const RECEIVER = `
const net = require("node:net");
const total = Number(process.argv[1]);
const server = net.createServer((s) => {
  let got = 0;
  const start = process.hrtime.bigint();
  s.on("data", (c) => {
    got += c.length;
    if (got >= total) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      process.stdout.write(JSON.stringify({ seconds }) + "\\n");
      s.destroy();
      server.close();
    }
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\\n"));
`;

const SENDER = `
const net = require("node:net");
const [port, total] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
const s = net.connect(port, "127.0.0.1", () => {
  let sent = 0;
  const more = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", more);
    }
    s.end();
  };
  more();
});
s.on("error", () => process.exit(1));
`;

/** Seconds for one plain Node process to send `bytes` to another over loopback TCP. */
async function rawTcp(bytes: number): Promise<number> {
  const receiver = spawn(process.execPath, ["-e", RECEIVER, String(bytes)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let buffered = "";
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = lines.shift();
        if (line !== undefined) resolve(line);
        else receiver.stdout.once("data", check);
      };
      receiver.once("exit", (code) => reject(new Error(`the TCP receiver exited (${code})`)));
      check();
    });
  receiver.stdout.setEncoding("utf8");
  receiver.stdout.on("data", (d: string) => {
    buffered += d;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  try {
    const { port } = JSON.parse(await next()) as { port: number };
    const sender = spawn(process.execPath, ["-e", SENDER, String(port), String(bytes)], { stdio: "ignore" });
    try {
      const { seconds } = JSON.parse(await next()) as { seconds: number };
      return seconds;
    } finally {
      sender.kill();
    }
  } finally {
    receiver.kill();
  }
}

async function main(): Promise<void> {
  const runs = flag("runs", 5);
  const bytes = flag("mib", 256) * MiB;
  const n = bytes / 8;
  const storeBytes = 3 * bytes + 256 * MiB;
  const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: storeBytes } });
  try {
    await cluster.addNode({ numCpus: 1, resources: { B: 1 }, objectStoreMemory: storeBytes });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
    const onB = { resources: { B: 1 } };

    const toB: number[] = [];
    const toHead: number[] = [];
    const tcp: number[] = [];
    for (let i = 0; i <= runs; i++) {
      // Run 0 warms up (workers started, code loaded); each run moves a fresh object.
      let put: lux.ObjectRef<Float64Array> | undefined = lux.put(new Float64Array(n).fill(2));
      const seconds = await timed(() => lux.get(touch.options(onB).remote(put as lux.ObjectRef<Float64Array>)));
      let made: lux.ObjectRef<Float64Array> | undefined = makeOnB.options(onB).remote(n);
      await lux.wait([made], { numReturns: 1 });
      let got: Float64Array | undefined;
      const back = await timed(async () => {
        got = await lux.get(made as lux.ObjectRef<Float64Array>);
      });
      if (got?.length !== n) throw new Error("the object arrived damaged");
      const raw = await rawTcp(bytes);
      if (i > 0) {
        toB.push(seconds);
        toHead.push(back);
        tcp.push(raw);
      }
      got = undefined;
      put = undefined;
      made = undefined;
      gc();
    }
    const rate = (s: number[]): string => `${(bytes / median(s) / 1e9).toFixed(2)} GB/s`;
    console.log(`object transfer, ${bytes / MiB} MiB, median of ${runs} runs (2 nodes on loopback)`);
    console.log(`  raw TCP (2 plain Node processes)   ${rate(tcp)}`);
    console.log(`  pull to B (task argument)          ${rate(toB)}`);
    console.log(`  pull to head (driver get)          ${rate(toHead)}`);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
}

await main();
