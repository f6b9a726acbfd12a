/**
 * A raw TCP stream on loopback between this process and a child Node process, the reference for
 * allreduce across nodes in bench/train.ts: GB/s from the first byte written until the receiver
 * says it got them all (it only counts them). 1 MiB writes, each waiting for the socket's drain.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";

const RECEIVER = `
const net = require("node:net");
const total = Number(process.argv[1]);
const server = net.createServer((socket) => {
  let got = 0;
  socket.on("data", (chunk) => {
    got += chunk.length;
    if (got >= total) socket.end(Buffer.from([1]));
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export async function tcpStreamGBps(totalBytes: number): Promise<number> {
  const child = spawn(process.execPath, ["-e", RECEIVER, String(totalBytes)], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once("exit", (code) => reject(new Error(`the TCP receiver exited (${code}) before listening`)));
    });
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const done = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    const start = process.hrtime.bigint();
    for (let sent = 0; sent < totalBytes; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
    }
    await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    socket.destroy();
    return totalBytes / seconds / 1e9;
  } finally {
    child.stdin.end();
    child.kill();
  }
}
