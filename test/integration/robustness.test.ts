/**
 * Issue point 13: every listening socket of a cluster (control service, raylet, a worker,
 * the driver's own) answers garbage bytes, an oversized frame and a peer without the
 * cluster token by closing that connection and logging it, and keeps serving. Nothing
 * listens beyond loopback.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Packr } from "msgpackr";
import { PROTOCOL_VERSION } from "@lux/protocol";
import * as lux from "lux";
import { descendants, waitFor } from "./helpers.js";

const square = lux.remote((x: number) => x * x);

class Echo {
  calls = 0;
  echo(v: string): { v: string; calls: number } {
    this.calls += 1;
    return { v, calls: this.calls };
  }
  pid(): number {
    return process.pid;
  }
}
const EchoActor = lux.remote(Echo);

/** One listening TCP socket: "HOST:PORT" and the pid that owns it. */
interface Listener {
  address: string;
  host: string;
  port: number;
  pid: number;
}

/** Listening TCP sockets of the given processes, from `ss -ltnp`. */
function listeners(pids: readonly number[]): Listener[] {
  const out = spawnSync("ss", ["-Hltnp"], { encoding: "utf8" });
  assert.equal(out.status, 0, `ss failed: ${out.stderr}`);
  const wanted = new Set(pids);
  const found: Listener[] = [];
  for (const line of out.stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (local === undefined) continue;
    for (const m of line.matchAll(/pid=(\d+)/g)) {
      const pid = Number(m[1]);
      if (!wanted.has(pid)) continue;
      const colon = local.lastIndexOf(":");
      found.push({ address: local, host: local.slice(0, colon), port: Number(local.slice(colon + 1)), pid });
    }
  }
  return found;
}

/** The session directory of this process's private cluster (its name carries the driver pid). */
function sessionDir(): string {
  const root = process.env["LUX_SESSION_DIR_ROOT"] ?? "/tmp/lux";
  const dirs = fs
    .readdirSync(root)
    .filter((d) => d.startsWith("session_") && d.includes(`_${process.pid}_`))
    .map((d) => path.join(root, d))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  assert.ok(dirs[0] !== undefined, `no session directory of pid ${process.pid} under ${root}`);
  return dirs[0];
}

function readLog(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Everything written to this process's stderr from now on (worker log lines arrive there). */
function captureStderr(): { text(): string; stop(): void } {
  let text = "";
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    text: () => text,
    stop: () => {
      process.stderr.write = original;
    },
  };
}

function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

const packr = new Packr({ useRecords: false });
const pack = (v: unknown): Buffer => packr.pack(v);

const attacks: { name: string; bytes: () => Buffer; logged: RegExp }[] = [
  {
    name: "garbage bytes",
    bytes: () => Buffer.from("GET / HTTP/1.1\r\nHost: lux\r\n\r\n", "latin1"),
    logged: /exceeds the limit|undecodable|not a Lux peer|malformed/,
  },
  {
    name: "a frame that does not decode",
    bytes: () => frame(Buffer.from([0xc1, 0xc1, 0xc1, 0xc1])),
    logged: /undecodable|not a Lux peer|malformed/,
  },
  {
    name: "an oversized frame",
    bytes: () => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(0xffffffff, 0);
      return Buffer.concat([header, Buffer.alloc(64, 1)]);
    },
    logged: /frame of 4294967295 bytes exceeds the limit/,
  },
  {
    name: "a handshake with a wrong token",
    bytes: () => frame(pack({ magic: "lux", version: PROTOCOL_VERSION, token: "wrong" })),
    logged: /wrong or missing cluster token/,
  },
  {
    name: "a handshake without a token",
    bytes: () => frame(pack({ magic: "lux", version: PROTOCOL_VERSION })),
    logged: /wrong or missing cluster token/,
  },
];

/**
 * Connects, sends `bytes`, and resolves when the server closed the connection, with the
 * local port (the server logs the peer as 127.0.0.1:<that port>) and what the server sent.
 */
function attack(target: Listener, bytes: Buffer): Promise<{ localPort: number; received: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const received: Buffer[] = [];
    let localPort = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${target.address} did not close the connection within 15 s`));
    }, 15_000);
    socket.on("connect", () => {
      localPort = socket.localPort ?? 0;
      socket.write(bytes);
    });
    socket.on("data", (d: Buffer) => received.push(d));
    socket.on("error", () => undefined); // a reset is a close too
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ localPort, received: Buffer.concat(received) });
    });
  });
}

describe("robustness of listening sockets", () => {
  let address = "";
  let actor: lux.ActorHandle<Echo>;
  let logs: { gcs: string; raylet: string };
  let stderr: ReturnType<typeof captureStderr>;
  /** `linePrefix`: what starts the log line (an actor's worker's lines reach the driver as "(Echo pid=N) ..."). */
  const targets: { name: string; listener: Listener; log: () => string; linePrefix?: string }[] = [];

  before(async () => {
    stderr = captureStderr();
    ({ address } = await lux.init({ numCpus: 2 }));
    actor = EchoActor.remote();
    const workerPid = await lux.get(actor.pid.remote());
    const dir = sessionDir();
    logs = { gcs: path.join(dir, "logs", "gcs.log"), raylet: path.join(dir, "logs", "raylet.log") };
    const [node] = await lux.nodes();
    assert.ok(node !== undefined);
    const all = listeners([process.pid, ...descendants(process.pid)]);
    const find = (what: string, pred: (l: Listener) => boolean): Listener => {
      const l = all.find(pred);
      assert.ok(l !== undefined, `no listening socket for ${what} among ${JSON.stringify(all)}`);
      return l;
    };
    const gcsPort = Number(address.slice(address.lastIndexOf(":") + 1));
    const rayletPort = Number(node.address.slice(node.address.lastIndexOf(":") + 1));
    targets.push(
      { name: "control service", listener: find("the control service", (l) => l.port === gcsPort), log: () => readLog(logs.gcs) },
      { name: "raylet", listener: find("the raylet", (l) => l.port === rayletPort), log: () => readLog(logs.raylet) },
      {
        name: "worker",
        listener: find(`the actor's worker (pid ${workerPid})`, (l) => l.pid === workerPid),
        log: () => stderr.text(),
        linePrefix: `(Echo pid=${workerPid}) `,
      },
      { name: "driver", listener: find("the driver", (l) => l.pid === process.pid), log: () => stderr.text() },
    );
  });

  after(async () => {
    stderr.stop();
    await lux.shutdown();
  });

  test("nothing of the cluster listens beyond loopback", () => {
    const all = listeners([process.pid, ...descendants(process.pid)]);
    // control service, raylet, driver, and at least the actor's worker
    assert.ok(all.length >= 4, `expected at least 4 listening sockets, got ${JSON.stringify(all)}`);
    for (const l of all) assert.equal(l.host, "127.0.0.1", `pid ${l.pid} listens on ${l.address}`);
  });

  for (const { name, bytes, logged } of attacks) {
    test(`every listening socket drops ${name}, logs it, and keeps serving`, async () => {
      for (const target of targets) {
        const { localPort } = await attack(target.listener, bytes());
        const peer = `dropped connection from 127.0.0.1:${localPort}:`;
        await waitFor(
          () =>
            target
              .log()
              .split("\n")
              .some((line) => line.includes(peer) && logged.test(line) && line.startsWith(target.linePrefix ?? "")),
          `the ${target.name} to log "${peer} ..." matching ${logged}`,
          10_000,
        );
      }
      // The whole cluster still serves: a new task (raylet lease, new or reused worker,
      // control service function table) and a call on the attacked actor worker.
      assert.deepEqual(await lux.get([square.remote(3), square.remote(4)]), [9, 16]);
      const before = await lux.get(actor.echo.remote("ping"));
      assert.equal(before.v, "ping");
      assert.deepEqual(await lux.get(actor.echo.remote("pong")), { v: "pong", calls: before.calls + 1 });
    });
  }

  test("a refused handshake is answered with the reason before the connection closes", async () => {
    const gcs = targets[0];
    assert.ok(gcs !== undefined);
    const { received } = await attack(gcs.listener, frame(pack({ magic: "lux", version: PROTOCOL_VERSION, token: "wrong" })));
    assert.ok(received.length > 4, "the server closed without answering");
    assert.deepEqual(packr.unpack(received.subarray(4, 4 + received.readUInt32BE(0))), { ok: false, error: "wrong or missing cluster token" });
  });
});
