/**
 * Raw streams between two plain Node processes over loopback, the baselines of the transfer
 * figures (bench/transfer-figures.ts, bench/transfer-tls.ts): one process sends the bytes to
 * the other in 8 MiB writes; the receiver reads either as Node does by default ("data"
 * events, a new buffer per read) or into one reused buffer (`onread`, as raylets read
 * chunks); TCP, or TLS 1.3.
 */
import { spawn } from "node:child_process";

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
