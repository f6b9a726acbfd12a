/**
 * TLS between Lux peers, on loopback sockets in one process: RPC works over it; every kind of
 * peer the cluster's policy refuses is refused, by the side that should, with a reason that
 * says why and the peer's address; Unix sockets stay plain. Certificates come from `lux cert`'s
 * functions (the openssl command).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { createCa, issueCert } from "@lux/cli";
import {
  ConnectFailedError,
  RpcServer,
  connectRpc,
  connectTransport,
  defineService,
  num,
  obj,
  returns,
  rpc,
  serve,
  tlsClientOptions,
  tlsServerOptions,
  tlsTransports,
  type PeerOptions,
  type ServiceOf,
  type TlsMaterial,
  type TlsTransportOptions,
  type Transport,
} from "../src/index.js";

const Echo = defineService({ double: rpc(obj({ n: num }), returns<{ n: number }>()) });
type Echo = ServiceOf<typeof Echo>;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tls-test-"));
const read = (name: string, cert: string, key: string, ca: string): TlsMaterial => ({
  cert: fs.readFileSync(path.join(dir, name, cert)),
  key: fs.readFileSync(path.join(dir, name, key)),
  ca: fs.readFileSync(path.join(dir, ca)),
});
/** Identities, each a certificate, its key and the CA it trusts. */
const ids: Record<"node" | "expired" | "foreign" | "foreignTrust", TlsMaterial> = {} as never;

before(() => {
  createCa(path.join(dir, "ca"));
  createCa(path.join(dir, "other-ca"));
  const issue = (ca: string, name: string, days = 30): void => {
    issueCert({ ca: path.join(dir, ca), name, ip: ["127.0.0.1"], dns: [], out: path.join(dir, name), days });
  };
  issue("ca", "node");
  issue("ca", "expired", -1);
  issue("other-ca", "foreign");
  ids.node = read("node", "node.crt", "node.key", "ca/ca.crt");
  ids.expired = read("expired", "expired.crt", "expired.key", "ca/ca.crt");
  // Another CA's certificate, presented to a server that trusts only ours...
  ids.foreign = read("foreign", "foreign.crt", "foreign.key", "ca/ca.crt");
  // ...and a process that trusts only the other CA.
  ids.foreignTrust = read("foreign", "foreign.crt", "foreign.key", "other-ca/ca.crt");
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function peerOptions(transports: Pick<PeerOptions, "dial" | "listen">): PeerOptions {
  return { token: "t0ken", maxFrameBytes: 1 << 20, connectTimeoutMs: 2000, callTimeoutMs: 2000, ...transports };
}

interface Served {
  server: RpcServer<Echo>;
  refused: { peer: string; reason: string }[];
  /** Resolves once the server reported a refusal whose reason matches. */
  refusal(pattern: RegExp): Promise<{ peer: string; reason: string }>;
}

async function serveEcho(material: TlsMaterial, address = "127.0.0.1:0", handshakeTimeoutMs = 2000, maxHandshaking?: number): Promise<Served> {
  const refused: { peer: string; reason: string }[] = [];
  const waiters: (() => void)[] = [];
  const options: TlsTransportOptions = {
    material,
    handshakeTimeoutMs,
    ...(maxHandshaking !== undefined ? { maxHandshaking } : {}),
    onRefused: (peer, reason) => {
      refused.push({ peer, reason });
      for (const w of waiters.splice(0)) w();
    },
  };
  const handlers = serve(Echo, { double: async ({ n }) => ({ n: 2 * n }) });
  const server = await RpcServer.listen<Echo>({ ...peerOptions(tlsTransports(options)), address, handlers });
  const refusal = async (pattern: RegExp): Promise<{ peer: string; reason: string }> => {
    for (;;) {
      const found = refused.find((r) => pattern.test(r.reason));
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { server, refused, refusal };
}

/** A TLS client of `address` with raw node:tls: whether it got a working connection, and its local port. */
function rawTls(address: string, options: tls.ConnectionOptions): Promise<{ localPort: number | undefined; error?: Error }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, ...options });
    let localPort: number | undefined;
    socket.once("connect", () => (localPort = socket.localPort));
    socket.on("error", (error) => resolve({ localPort, error }));
    socket.on("close", () => resolve({ localPort }));
    // TLS 1.3: the server judges this side's certificate after the client's handshake completed.
    socket.on("secureConnect", () => socket.write("x"));
  });
}

describe("TLS transports", () => {
  test("an RPC server and client over TLS 1.3 with certificates checked both ways", async () => {
    const { server } = await serveEcho(ids.node);
    try {
      const conn = await connectRpc<Echo>(server.address, peerOptions(tlsTransports({ material: ids.node, handshakeTimeoutMs: 2000 })));
      assert.deepEqual(await conn.call("double", { n: 21 }), { n: 42 });
      conn.close();
    } finally {
      await server.close();
    }
  });

  test("a Unix-socket address stays plaintext: same-node links, in a folder only the user can open", async () => {
    const sock = path.join(dir, "s.sock");
    const { server } = await serveEcho(ids.node, sock);
    try {
      const plain: Transport = await connectTransport(sock, 1000);
      plain.close(true);
      const conn = await connectRpc<Echo>(sock, peerOptions(tlsTransports({ material: ids.node, handshakeTimeoutMs: 2000 })));
      assert.deepEqual(await conn.call("double", { n: 1 }), { n: 2 });
      conn.close();
    } finally {
      await server.close();
    }
  });

  describe("the server refuses, and names the peer and the reason", () => {
    let served: Served;
    before(async () => {
      served = await serveEcho(ids.node, "127.0.0.1:0", 300);
    });
    after(async () => {
      await served.server.close();
    });
    const material = (m: TlsMaterial): tls.ConnectionOptions => ({ cert: m.cert, key: m.key, ca: m.ca, minVersion: "TLSv1.3" });

    test("another CA's certificate", async () => {
      const { localPort } = await rawTls(served.server.address, material(ids.foreign));
      const r = await served.refusal(/not signed by this cluster's CA/);
      assert.equal(r.peer, `127.0.0.1:${localPort}`);
    });

    test("an expired certificate", async () => {
      const { localPort } = await rawTls(served.server.address, material(ids.expired));
      const r = await served.refusal(/its certificate has expired \(CERT_HAS_EXPIRED\)/);
      assert.equal(r.peer, `127.0.0.1:${localPort}`);
    });

    test("no certificate", async () => {
      const { localPort } = await rawTls(served.server.address, { ca: ids.node.ca });
      const r = await served.refusal(/presented no certificate/);
      assert.equal(r.peer, `127.0.0.1:${localPort}`);
    });

    test("TLS 1.2", async () => {
      const { error } = await rawTls(served.server.address, { ...material(ids.node), minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
      assert.match(String(error), /protocol version/);
      await served.refusal(/older TLS version; only TLS 1.3/);
    });

    test("plaintext: a frame in the clear gets no answer", async () => {
      const socket = net.connect(Number(served.server.address.split(":")[1]), "127.0.0.1");
      const got: Buffer[] = [];
      socket.on("data", (c: Buffer) => got.push(c));
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      const port = socket.localPort;
      // A length-prefixed frame in the clear, as a plaintext Lux peer's hello starts.
      socket.write(Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("hello, lux!")]));
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      // At most a TLS alert record (content type 21), never a Lux frame.
      assert.ok(got.length === 0 || Buffer.concat(got)[0] === 21, `got ${Buffer.concat(got).toString("hex")}`);
      const r = await served.refusal(/plaintext or another protocol on a TLS port/);
      assert.equal(r.peer, `127.0.0.1:${port}`);
    });

    test("a peer that connects and says nothing is dropped at the handshake deadline", async () => {
      const socket = net.connect(Number(served.server.address.split(":")[1]), "127.0.0.1");
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      await served.refusal(/did not complete in time/);
    });
  });

  describe("the client refuses, and says why", () => {
    const dialWith = (m: TlsMaterial, refused: string[]): PeerOptions =>
      peerOptions(tlsTransports({ material: m, handshakeTimeoutMs: 2000, onRefused: (peer, reason) => refused.push(`${peer}: ${reason}`) }));

    test("a server whose certificate does not name the address dialled", async () => {
      const { server } = await serveEcho(ids.node);
      const refused: string[] = [];
      try {
        const port = server.address.split(":")[1];
        await assert.rejects(connectRpc<Echo>(`localhost:${port}`, dialWith(ids.node, refused)), (e: Error) => {
          assert.ok(e instanceof ConnectFailedError);
          assert.match(e.message, /does not name the address dialled.*localhost/);
          return true;
        });
        assert.match(refused.join("\n"), new RegExp(`^localhost:${port}: the server's certificate does not name`));
      } finally {
        await server.close();
      }
    });

    test("a server of another CA", async () => {
      const { server, refusal } = await serveEcho(ids.node);
      const refused: string[] = [];
      try {
        await assert.rejects(connectRpc<Echo>(server.address, dialWith(ids.foreignTrust, refused)), /not signed by this cluster's CA/);
        assert.equal(refused.length, 1);
        // The server sees the client leave during the handshake, and says who and so.
        const r = await refusal(/closed the connection during the TLS handshake/);
        assert.match(r.peer, /^127\.0\.0\.1:\d+$/);
      } finally {
        await server.close();
      }
    });

    test("a server whose certificate has expired", async () => {
      const { server } = await serveEcho(ids.expired);
      const refused: string[] = [];
      try {
        await assert.rejects(connectRpc<Echo>(server.address, dialWith(ids.node, refused)), /the server's certificate has expired/);
        assert.equal(refused.length, 1);
      } finally {
        await server.close();
      }
    });
  });

  test("past the cap of connections in their TLS handshake, the one waiting longest is dropped; a real client still gets in", async () => {
    const { server, refusal } = await serveEcho(ids.node, "127.0.0.1:0", 10_000, 2);
    const [host, port] = [server.address.slice(0, server.address.lastIndexOf(":")), Number(server.address.slice(server.address.lastIndexOf(":") + 1))];
    const silent = [0, 1, 2].map(() => net.connect({ host, port }).on("error", () => undefined));
    const closed = silent.map((s) => new Promise<number>((resolve) => s.once("close", () => resolve(silent.indexOf(s)))));
    try {
      const first = await Promise.race(closed);
      assert.equal(first, 0, "the oldest went");
      assert.match((await refusal(/in their TLS handshake/)).reason, /more than 2 connections are in their TLS handshake: dropped the one waiting longest/);
      const conn = await connectRpc<Echo>(server.address, peerOptions(tlsTransports({ material: ids.node, handshakeTimeoutMs: 2000 })));
      assert.deepEqual(await conn.call("double", { n: 2 }), { n: 4 });
      conn.close();
    } finally {
      for (const s of silent) s.destroy();
      await server.close();
    }
  });

  test("both sides agree on AES-128-GCM, TLS 1.3's mandatory suite (what bench/security.ts measures against)", async () => {
    const server = tls.createServer(tlsServerOptions(ids.node, 2000), (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const cipher = await new Promise<string | undefined>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ...tlsClientOptions(ids.node) }, () => {
          resolve(socket.getCipher().standardName);
          socket.destroy();
        });
        socket.on("error", reject);
      });
      assert.equal(cipher, "TLS_AES_128_GCM_SHA256");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
