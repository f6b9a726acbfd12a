/**
 * The machine's limits, measured with plain Node processes (no Lux): round trips over a
 * Unix socket between two processes, synchronous and pipelined, and memcpy.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CliError } from "../errors.js";

/** Size of one message, about a small task spec or reply. */
export const MESSAGE_BYTES = 100;
/** Messages in flight in the pipelined measurement. */
export const IN_FLIGHT = 1000;

/** An echo server in its own Node process: writes back whatever it reads. */
const ECHO_SERVER = `
const net = require("node:net");
const server = net.createServer((s) => { s.setNoDelay(true); s.on("data", (d) => s.write(d)); s.on("error", () => {}); });
server.listen(process.argv[1], () => process.stdout.write("ready\\n"));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export interface EchoPeer {
  socket: net.Socket;
  close(): Promise<void>;
}

/** Starts the echo process and connects to it; `close` ends both. */
export async function startEchoPeer(): Promise<EchoPeer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-"));
  const sockPath = path.join(dir, "echo.sock");
  // stdin is a pipe: when this process dies, the echo process sees its end and exits.
  const child = spawn(process.execPath, ["-e", ECHO_SERVER, sockPath], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new CliError(`the echo process exited with code ${code}`)));
      child.stdout.once("data", () => resolve());
    });
    const socket = net.createConnection(sockPath);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return {
      socket,
      async close() {
        socket.destroy();
        child.stdin.end();
        child.kill();
        await exited;
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** `n` round trips, one message in flight: resolves with round trips per second. */
export async function syncRoundTrips(socket: net.Socket, n: number): Promise<number> {
  const msg = Buffer.alloc(MESSAGE_BYTES, 1);
  let pending = 0;
  let wake: (() => void) | undefined;
  const onData = (d: Buffer): void => {
    pending -= d.length;
    if (pending <= 0) wake?.();
  };
  socket.on("data", onData);
  try {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      pending = MESSAGE_BYTES;
      const done = new Promise<void>((resolve) => (wake = resolve));
      socket.write(msg);
      await done;
    }
    return n / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    socket.off("data", onData);
  }
}

/**
 * `n` messages with up to IN_FLIGHT unanswered, written in corked batches (one syscall
 * per batch, each message its own write): resolves with messages per second.
 */
export async function pipelinedMessages(socket: net.Socket, n: number): Promise<number> {
  const msg = Buffer.alloc(MESSAGE_BYTES, 1);
  let sent = 0;
  let receivedBytes = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const refill = (): void => {
      const received = Math.floor(receivedBytes / MESSAGE_BYTES);
      const room = Math.min(IN_FLIGHT - (sent - received), n - sent);
      if (room <= 0) return;
      socket.cork();
      for (let i = 0; i < room; i++) socket.write(msg);
      socket.uncork();
      sent += room;
    };
    const onData = (d: Buffer): void => {
      receivedBytes += d.length;
      if (receivedBytes >= n * MESSAGE_BYTES) {
        socket.off("data", onData);
        resolve();
        return;
      }
      // Refill once half the window came back.
      if (sent - Math.floor(receivedBytes / MESSAGE_BYTES) <= IN_FLIGHT / 2) refill();
    };
    socket.on("data", onData);
    refill();
  });
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Bytes copied by the memcpy measurement. */
export const MEMCPY_BYTES = 256 * 1024 * 1024;

/** A copy of `bytes` into an already-written (warm) buffer: resolves with GB/s per copy. */
export function memcpy(bytes: number, runs: number): number[] {
  const src = Buffer.alloc(bytes, 1);
  const dst = Buffer.alloc(bytes, 0);
  dst.set(src); // warm: pages mapped, caches and TLB as in steady state
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    dst.set(src);
    rates.push(bytes / 1e9 / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return rates;
}
