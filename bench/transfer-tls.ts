/**
 * Issue 17 point 8's transfer figure, for bench/transfer.ts, bench/scale.ts and
 * bench/security.ts: an object pulled between two raylets over TLS 1.3, against
 * `openssl speed -evp aes-128-gcm` on one core (target ≥ 50%) and a raw TLS stream between
 * two plain Node processes (Lux's certificates and cipher order), measured in the same run.
 * The pull's chunks do not cross Node's TLS socket: they are sealed with AES-128-GCM under
 * keys exported from it (packages/raylet/src/bulk-channel.ts).
 *
 * Two nodes on loopback, the head on 127.0.0.1 and "n1" on 127.0.0.2, each with a
 * certificate of its own made by `lux cert`'s functions; this driver takes the head's (TLS is
 * a process setting: applied for the cluster's lifetime, undone after).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createCa, issueCert } from "@lux/cli";
import { applyConfig, tlsConfigEntries, type TlsFiles } from "@lux/common";
import { TLS_CIPHERSUITES } from "@lux/protocol";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { rawStreamSeconds } from "./raw-streams.js";
import { readFresh, readersOn } from "./transfer-reads.js";

const MiB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Bytes per second of AES-128-GCM on one core, from `openssl speed` (16 KiB blocks, machine-readable output). */
export function aesGcmBytesPerSecond(seconds: number): number {
  const run = spawnSync("openssl", ["speed", "-evp", "aes-128-gcm", "-seconds", String(seconds), "-bytes", "16384", "-mr"], { encoding: "utf8" });
  const line = run.stdout.split("\n").find((l) => l.startsWith("+F:"));
  const value = Number(line?.split(":").pop());
  if (run.status !== 0 || !(value > 0)) throw new Error(`openssl speed failed: ${run.stderr || run.stdout}`);
  return value;
}

/** Certificates of two nodes made in `dir`: the head's names 127.0.0.1, b's 127.0.0.2 (the driver uses the head's). */
export function makeCertificates(dir: string): { head: TlsFiles; b: TlsFiles } {
  createCa(path.join(dir, "ca"));
  const ca = path.join(dir, "ca", "ca.crt");
  const issue = (name: string, ip: string): TlsFiles => {
    issueCert({ ca: path.join(dir, "ca"), name, ip: [ip], dns: [], out: dir, days: 1 });
    return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`), ca };
  };
  return { head: issue("head", "127.0.0.1"), b: issue("b", "127.0.0.2") };
}

/** Seconds of a raw TLS 1.3 stream of `bytes` into a reused buffer (as raylets read), with `head`'s files and Lux's ciphers. */
export function rawTlsSeconds(bytes: number, head: TlsFiles): Promise<number> {
  return rawStreamSeconds(bytes, true, { ...head, ciphers: TLS_CIPHERSUITES });
}

export interface TlsTransferFigures {
  aes_128_gcm_gb_per_second: number;
  raw_tls_gb_per_second: number;
  tls_pull_gb_per_second: number;
  /** Issue 17 point 8: target ≥ 0.5. */
  tls_pull_share_of_aes_128_gcm: number;
  tls_pull_share_of_raw_tls: number;
}

/**
 * Seconds of `runs` pulls of a fresh object of `bytes` from the head to n1 over TLS (an actor
 * on n1 reads what the driver put), after one not timed (it warms n1's store pages).
 */
async function tlsPullSeconds(certs: { head: TlsFiles; b: TlsFiles }, bytes: number, runs: number): Promise<number[]> {
  const store = bytes + 128 * MiB;
  const undo = applyConfig(tlsConfigEntries(certs.head));
  const cluster = await LocalCluster.start({ head: { numCpus: 1, objectStoreMemory: store }, tls: certs.head });
  try {
    await cluster.addNode({ numCpus: 1, nodeIp: "127.0.0.2", resources: { n1: 1 }, objectStoreMemory: store, tls: certs.b });
    await cluster.waitForNodes(2);
    await lux.init({ address: cluster.address });
    const { actors, storeObjects } = readersOn(["n1"]);
    const out: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const seconds = await readFresh(actors, bytes, storeObjects);
      if (i > 0) out.push(seconds);
    }
    return out;
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
    undo();
  }
}

/** The TLS figures in one run: AES-GCM (`aesSeconds` of openssl speed), the raw TLS stream (median of 3) and the TLS pull (median of `runs`). */
export async function tlsTransferFigures(options: { bytes: number; runs: number; aesSeconds: number }): Promise<TlsTransferFigures> {
  const { bytes, runs } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-tls-"));
  try {
    const certs = makeCertificates(dir);
    const aes = aesGcmBytesPerSecond(options.aesSeconds) / 1e9;
    const raw: number[] = [];
    for (let i = 0; i < 3; i++) raw.push(await rawTlsSeconds(bytes, certs.head));
    const rawTls = bytes / median(raw) / 1e9;
    const pull = bytes / median(await tlsPullSeconds(certs, bytes, runs)) / 1e9;
    return {
      aes_128_gcm_gb_per_second: aes,
      raw_tls_gb_per_second: rawTls,
      tls_pull_gb_per_second: pull,
      tls_pull_share_of_aes_128_gcm: pull / aes,
      tls_pull_share_of_raw_tls: pull / rawTls,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
