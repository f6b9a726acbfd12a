/**
 * Issue 17 point 3, through real processes: a cluster started with TLS (each node its own
 * certificate from `lux cert`) runs tasks, actors, cross-node object pulls and a job, and
 * serves its dashboard, jobs API and `/metrics` over HTTPS to clients with the cluster's
 * certificates. Every TCP listener of its processes (as `lux status --listeners` lists them,
 * checked against `ss`) refuses plaintext, and the process behind it logs the refusal. A peer
 * with another CA's certificate, an expired certificate, a certificate that does not name
 * the address dialled, and TLS 1.2 are refused and logged.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { createCa, issueCert } from "@lux/cli";
import { applyConfig, setLogSink, tlsConfigEntries, type TlsFiles } from "@lux/common";
import { connectControlService } from "@lux/launcher";
import * as lux from "lux";
import { JobSubmissionClient, isTerminalStatus } from "lux/job";
import { fixtures, root, runScript, waitFor, withCluster } from "./helpers.js";
import { assertListsEverything, hostPort, statusListeners, type Listed } from "./listener-lists.js";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tls-"));

/** A certificate of `caDir`'s CA for `ips`, in TLS files that trust `trustDir`'s CA. */
function identity(name: string, caDir: string, ips: string[], days = 30, trustDir = caDir): TlsFiles {
  issueCert({ ca: path.join(work, caDir), name, ip: ips, dns: [], out: path.join(work, "certs"), days });
  return { cert: path.join(work, "certs", `${name}.crt`), key: path.join(work, "certs", `${name}.key`), ca: path.join(work, trustDir, "ca.crt") };
}

const tlsEnv = (files: TlsFiles): Record<string, string> => ({ LUX_TLS_CERT: files.cert, LUX_TLS_KEY: files.key, LUX_TLS_CA: files.ca });

createCa(path.join(work, "ca"));
createCa(path.join(work, "other-ca"));
const n1 = identity("n1", "ca", ["127.0.0.1"]);
const n2 = identity("n2", "ca", ["127.0.0.2"]);
const expired = identity("expired", "ca", ["127.0.0.3"], -1);
const foreign = identity("foreign", "other-ca", ["127.0.0.1"], 30, "other-ca");
/** Another CA's certificate, held by a client that trusts this cluster's CA: only the server can refuse it. */
const foreignCert = { ...foreign, ca: n1.ca };

const double = lux.remote((x: number) => x * 2);
const fill = lux.remote((n: number) => new Float64Array(n).fill(1));
const total = lux.remote((a: Float64Array) => a.reduce((s, x) => s + x, 0));
class Counter {
  n = 0;
  add(by: number): number {
    return (this.n += by);
  }
}
const CounterActor = lux.remote(Counter);

/** Lines this process logged (its driver's refusals) while the file runs. */
const ownLog: string[] = [];
let undoTls: (() => void) | undefined;
after(() => {
  undoTls?.();
  setLogSink(undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a cluster with TLS", () => {
  const setup = withCluster({ tls: n1, head: { numCpus: 1, resources: { head: 1 } }, dashboard: true }, async (cluster) => {
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.2", resources: { B: 1 }, tls: n2 });
    await cluster.waitForNodes(2);
    setLogSink((line) => {
      ownLog.push(line);
      process.stderr.write(`${line}\n`);
    });
    // This process is a driver with the head's certificate (it listens on 127.0.0.1).
    undoTls = applyConfig(tlsConfigEntries(n1));
    await lux.init({ address: cluster.address });
  });
  const logFile = (name: string): string => path.join(setup.cluster.sessionDir, "logs", name);
  const logText = (name: string): string => (fs.existsSync(logFile(name)) ? fs.readFileSync(logFile(name), "utf8") : "");
  /** Waits until the log `name` (or this process's own, for "driver") has a line matching `pattern`. */
  const untilLogged = (name: string, pattern: RegExp): Promise<void> =>
    waitFor(() => (name === "driver" ? ownLog.join("\n") : logText(name)).split("\n").some((l) => pattern.test(l)), `${name} to log ${pattern}`);
  const https200 = (url: string, files: TlsFiles, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = https.get(url, { cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), ca: fs.readFileSync(files.ca), headers, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
    });

  test("tasks, an actor and objects cross the nodes; a job runs; HTTPS serves clients with the cluster's certificates", async () => {
    const onB = { resources: { B: 1 } };
    assert.equal(await lux.get(double.options(onB).remote(21)), 42);
    // 8 MiB made on 127.0.0.2 and read on the head (pulled by the head's raylet), and back.
    const made = fill.options(onB).remote(1 << 20);
    assert.equal(await lux.get(total.remote(made)), 1 << 20);
    assert.equal((await lux.get(made)).length, 1 << 20);
    assert.equal(await lux.get(total.options(onB).remote(lux.put(new Float64Array(1 << 20).fill(2)))), 2 * (1 << 20));
    const counter = CounterActor.options(onB).remote();
    await lux.get(counter.add.remote(1));
    assert.equal(await lux.get(counter.add.remote(2)), 3);

    const url = setup.cluster.dashboardUrl as string;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await https200(`${url}/healthz`, n1)).status, 200);
    const jobs = new JobSubmissionClient(url, { token: setup.cluster.token });
    const id = await jobs.submitJob({ entrypoint: `${JSON.stringify(process.execPath)} ${path.join(fixtures, "job-driver.mjs")}`, entrypointResources: { head: 1 } });
    await waitFor(async () => isTerminalStatus(await jobs.getJobStatus(id)), "the job to end", 60_000);
    const logs = await jobs.getJobLogs(id);
    assert.equal(await jobs.getJobStatus(id), "SUCCEEDED", logs);
    assert.match(logs, /squares \[1,4,9\]/);

    const gcs = await connectControlService(setup.cluster.address, setup.cluster.token, n1);
    const nodes = await gcs.nodes().finally(() => gcs.close());
    for (const { metricsAddress } of nodes.filter((n) => n.alive)) {
      assert.ok(metricsAddress !== undefined);
      const files = metricsAddress.startsWith("127.0.0.2") ? n2 : n1;
      const metrics = await https200(`https://${metricsAddress}/metrics`, files, { authorization: `Bearer ${setup.cluster.token}` });
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /^lux_/m);
    }
  });

  test("every TCP listener (lux status --listeners, checked against ss) refuses plaintext, and its process logs it", async () => {
    const { header, listed, text } = await statusListeners(setup.cluster.address, setup.cluster.token, tlsEnv(n1));
    assert.match(header, /TLS 1\.3/);
    const kinds = listed.map((l) => l.what.replace(/ [0-9a-f]{8}:/, ":"));
    for (const kind of ["control service", "dashboard", "raylet: RPC", "raylet: Prometheus", "raylet: object transfer channels", "worker: RPC", "driver: RPC"]) {
      assert.ok(kinds.some((k) => k.startsWith(kind)), `${kind} in:\n${text}`);
    }
    assertListsEverything(listed, [setup.cluster.gcsPid, ...setup.cluster.nodes.map((n) => n.pid)], text);
    for (const l of listed) {
      const local = await plaintextProbe(hostPort(l.address), l.what.includes("HTTP"));
      // The raylets' object transfer channels speak no TLS (their frames are sealed under keys from a TLS connection): they refuse plaintext as theirs.
      await untilLogged(logNameOf(l, setup.cluster), new RegExp(`refused a (?:TLS )?connection with 127\\.0\\.0\\.1:${local}: plain`));
    }
  });

  test("same-node links stay plain Unix sockets, in a folder only the cluster's user can open", () => {
    const dir = path.join(setup.cluster.sessionDir, "sock");
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const sockets = fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isSocket());
    assert.ok(sockets.length >= 2, `the workers' sockets: ${sockets.join(", ")}`);
  });

  test("a driver with another CA's certificate is refused, and both sides log it", async () => {
    const driver = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), {
      env: { LUX_ADDRESS: setup.cluster.address, LUX_TOKEN: setup.cluster.token, LUX_RPC_CONNECT_TIMEOUT_MS: "5000", ...tlsEnv(foreign) },
    });
    assert.notEqual(driver.code, 0);
    assert.match(driver.stderr, /refused a TLS connection with 127\.0\.0\.1:\d+: the server's certificate is not signed by this cluster's CA/);
    await untilLogged("gcs.log", /refused a TLS connection with 127\.0\.0\.1:\d+: the peer closed the connection during the TLS handshake/);

    // A client that trusts this cluster's CA but presents another CA's certificate: the server refuses it.
    const local = await rawTls(setup.cluster.address, foreignCert);
    await untilLogged("gcs.log", new RegExp(`refused a TLS connection with 127\\.0\\.0\\.1:${local}: its certificate is not signed by this cluster's CA`));
  });

  test("a certificate that does not name the address dialled is refused, and logged", async () => {
    // n1 names 127.0.0.1 (and n1), not localhost.
    const port = setup.cluster.address.split(":")[1] as string;
    const driver = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), {
      env: { LUX_ADDRESS: `localhost:${port}`, LUX_TOKEN: setup.cluster.token, LUX_RPC_CONNECT_TIMEOUT_MS: "5000", ...tlsEnv(n1) },
    });
    assert.notEqual(driver.code, 0);
    assert.match(driver.stderr, new RegExp(`refused a TLS connection with localhost:${port}: the server's certificate does not name the address dialled`));
  });

  test("a node with an expired certificate is refused, and the control service logs it", async () => {
    await assert.rejects(setup.cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.3", tls: expired }));
    // The node dials 127.0.0.1 from 127.0.0.1 (loopback picks the destination's address as the source).
    await untilLogged("gcs.log", /refused a TLS connection with 127\.0\.0\.\d+:\d+: its certificate has expired \(CERT_HAS_EXPIRED\)/);
  });

  test("TLS 1.2 is refused, and logged", async () => {
    const local = await rawTls(setup.cluster.address, n1, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    await untilLogged("gcs.log", new RegExp(`refused a TLS connection with 127\\.0\\.0\\.1:${local}: the peer offered an older TLS version`));
  });
});

describe("lux start with TLS", () => {
  const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tls-cli-"));
  const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "" };
  const luxCli = (args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runScript(path.join(root, "packages/lux/bin/lux.js"), { args, env: { ...env, ...extra }, loader: false, timeoutMs: 60_000 });
  after(async () => {
    await luxCli(["stop"]);
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  });

  test("--tls-cert, --tls-key and --tls-ca put the node on TLS; drivers and commands use LUX_TLS_*", async () => {
    const partial = await luxCli(["start", "--head", "--port", "0", "--tls-cert", n1.cert]);
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /TLS is not usable: --tls-key and --tls-ca are missing/);

    const tlsFlags = ["--tls-cert", n1.cert, "--tls-key", n1.key, "--tls-ca", n1.ca];
    const started = await luxCli(["start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "1", "--object-store-memory", String(32 * 1024 ** 2), ...tlsFlags]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /Transport: TLS 1\.3/);
    assert.match(started.stdout, /Dashboard and jobs API: https:\/\/127\.0\.0\.1:\d+/);
    const address = /Control service: (127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1] as string;

    const driver = await runScript(path.join(fixtures, "cluster-cli-driver.ts"), { env: { ...env, LUX_ADDRESS: address, ...tlsEnv(n1) } });
    assert.equal(driver.code, 0, driver.stderr);
    assert.match(driver.stdout, /result \{"value":42/);
    const { header, listed } = await statusListeners(address, "", { ...env, ...tlsEnv(n1) });
    assert.match(header, /TLS 1\.3/);
    assert.ok(listed.some((l) => l.address.startsWith("https://")));
    // Without the cluster's certificates a command does not get in.
    const plain = await luxCli(["status", "--address", address]);
    assert.notEqual(plain.code, 0);
  });
});

/** Which log holds what the process behind listener `l` logs. */
function logNameOf(l: Listed, cluster: { gcsPid: number; nodes: readonly { nodeId: string }[] }): string {
  if (l.what.startsWith("control service")) return "gcs.log";
  if (l.what.startsWith("dashboard")) return "dashboard.log";
  if (l.what.startsWith("raylet")) return `raylet-${cluster.nodes.findIndex((n) => n.nodeId === l.nodeId)}.log`;
  if (l.pid === process.pid) return "driver";
  if (l.what.startsWith("driver")) return "dashboard.log"; // the jobs API's driver is the dashboard's process
  return `worker-${l.pid}.log`;
}

/** Sends plaintext (a Lux frame, or an HTTP request) to `address`; resolves with this side's port once the server closed the connection unanswered. */
async function plaintextProbe(address: string, http: boolean): Promise<number> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const socket = net.connect(port, host);
  const got: Buffer[] = [];
  socket.on("data", (c: Buffer) => got.push(c));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const local = socket.localPort as number;
  socket.write(http ? "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" : Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("hello, lux!")]));
  await new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const reply = Buffer.concat(got);
  // Nothing, or a TLS alert record (content type 21): never a Lux frame or an HTTP answer.
  assert.ok(reply.length === 0 || reply[0] === 21, `${address} answered plaintext: ${reply.toString("latin1").slice(0, 80)}`);
  return local;
}

/** A TLS client of `address` with `files`; resolves with this side's port once the connection ended. */
function rawTls(address: string, files: TlsFiles, options: tls.ConnectionOptions = {}): Promise<number | undefined> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), ca: fs.readFileSync(files.ca), ...options });
    let local: number | undefined;
    socket.once("connect", () => (local = socket.localPort));
    // TLS 1.3: the server judges this side's certificate once this side's handshake is done.
    socket.on("secureConnect", () => socket.write("x"));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(local));
  });
}
