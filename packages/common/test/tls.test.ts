/** The TLS settings of a process (config tlsCert, tlsKey, tlsCa), their checks, and the plaintext-exposure warning. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, afterEach, describe, test } from "node:test";
import {
  TlsConfigError,
  adoptClusterConfig,
  defaultConfig,
  nonDefaultConfig,
  checkTlsFiles,
  createLogger,
  isLoopbackHost,
  loadTlsMaterial,
  resetConfig,
  rpcPeerOptions,
  setConfig,
  setLogSink,
  tlsConfigEntries,
  tlsFilesFromConfig,
  warnIfExposed,
} from "../src/index.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tls-config-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  resetConfig();
  setLogSink(undefined);
});

describe("TLS files", () => {
  test("all three or none: none is plaintext, some is TlsConfigError naming what is missing", () => {
    assert.equal(checkTlsFiles({}), undefined);
    assert.equal(checkTlsFiles({ cert: "", key: "", ca: "" }), undefined);
    assert.throws(() => checkTlsFiles({ cert: "a.crt" }), (e: Error) => e instanceof TlsConfigError && /--tls-key and --tls-ca are missing/.test(e.message));
    assert.throws(() => checkTlsFiles({ cert: "a.crt", key: "a.key" }), /--tls-ca is missing/);
  });

  test("paths are made absolute, so daemons and workers started elsewhere find them", () => {
    const files = checkTlsFiles({ cert: "a.crt", key: "a.key", ca: "ca.crt" });
    assert.deepEqual(files, { cert: path.resolve("a.crt"), key: path.resolve("a.key"), ca: path.resolve("ca.crt") });
    assert.deepEqual(tlsConfigEntries(files), { tlsCert: path.resolve("a.crt"), tlsKey: path.resolve("a.key"), tlsCa: path.resolve("ca.crt") });
    assert.deepEqual(tlsConfigEntries(undefined), {});
  });

  test("read from config (LUX_TLS_CERT, LUX_TLS_KEY, LUX_TLS_CA)", () => {
    assert.equal(tlsFilesFromConfig(), undefined);
    setConfig("tlsCert", "/x/n1.crt");
    assert.throws(() => tlsFilesFromConfig(), TlsConfigError);
    setConfig("tlsKey", "/x/n1.key");
    setConfig("tlsCa", "/x/ca.crt");
    assert.deepEqual(tlsFilesFromConfig(), { cert: "/x/n1.crt", key: "/x/n1.key", ca: "/x/ca.crt" });
  });

  test("a missing or non-PEM file is TlsConfigError naming it, before any connection", () => {
    const junk = path.join(dir, "junk.crt");
    fs.writeFileSync(junk, "not a certificate");
    const missing = { cert: path.join(dir, "none.crt"), key: junk, ca: junk };
    assert.throws(() => loadTlsMaterial(missing), (e: Error) => e instanceof TlsConfigError && e.message.includes("none.crt") && /ENOENT/.test(e.message));
    assert.throws(() => loadTlsMaterial({ cert: junk, key: junk, ca: junk }), /junk\.crt is not a PEM certificate/);
    assert.throws(() => rpcPeerOptions("t", undefined, { cert: junk, key: junk, ca: junk }), TlsConfigError);
  });

  test("a process's TLS files are its own: not among the cluster's config sent to drivers, nor taken from it", () => {
    const started = defaultConfig({ tlsCert: "/n/head.crt", tlsKey: "/n/head.key", tlsCa: "/n/ca.crt", rpcTimeoutMs: 1234 });
    assert.deepEqual(nonDefaultConfig(started), { rpcTimeoutMs: 1234 });
    const undo = adoptClusterConfig({ tlsCert: "/n/head.crt", tlsKey: "/n/head.key", tlsCa: "/n/ca.crt", rpcTimeoutMs: 1234 });
    try {
      assert.equal(tlsFilesFromConfig(), undefined);
      assert.equal(rpcPeerOptions("t").callTimeoutMs, 1234);
    } finally {
      undo();
    }
  });

  test("without TLS files, the RPC layer's own transports (plain TCP and Unix sockets)", () => {
    const options = rpcPeerOptions("t");
    assert.equal(options.dial, undefined);
    assert.equal(options.listen, undefined);
  });
});

describe("plaintext on the network", () => {
  test("loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.0.0.2", "127.255.0.9", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) assert.ok(isLoopbackHost(h), h);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "128.0.0.1", "example.com", "::ffff:10.0.0.1"]) assert.ok(!isLoopbackHost(h), h);
  });

  test("a listener on a non-loopback address without TLS warns, naming the address and the risk", () => {
    const lines: string[] = [];
    setLogSink((line) => lines.push(line));
    const log = createLogger("gcs");
    warnIfExposed(log, "the control service", "127.0.0.2:6379", false);
    warnIfExposed(log, "the control service", "10.0.0.5:6379", true);
    assert.equal(lines.length, 0);
    warnIfExposed(log, "the control service", "10.0.0.5:6379", false);
    warnIfExposed(log, "the dashboard", "0.0.0.0:8265", false);
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? "", /WARN gcs: the control service listens on 10\.0\.0\.5:6379 without TLS: anyone who can reach that address can read and change/);
    assert.match(lines[0] ?? "", /--tls-cert, --tls-key and --tls-ca/);
    assert.match(lines[1] ?? "", /the dashboard listens on 0\.0\.0\.0:8265 without TLS/);
  });
});
