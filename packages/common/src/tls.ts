/**
 * The cluster's TLS files (config tlsCert, tlsKey, tlsCa: `lux start --tls-*`, LUX_TLS_* for
 * drivers; workers inherit their raylet's), read once per process, and the warning a daemon
 * gives when it serves a non-loopback address in plaintext. The TLS policy itself (TLS 1.3,
 * certificates checked both ways) is @lux/protocol's transport-tls.ts. See docs/tls.md.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import type { TlsMaterial } from "@lux/protocol";

export { tlsClientOptions, type TlsMaterial } from "@lux/protocol";
import { config, type ConfigValues, type SystemConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { TlsConfigError } from "./tls-errors.js";

/** Paths of a node's PEM files: its certificate and key, and the cluster's CA certificate. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** This process's TLS files from config, or undefined for plaintext; TlsConfigError if only some are set. */
export function tlsFilesFromConfig(): TlsFiles | undefined {
  return tlsFilesOf({ tlsCert: config("tlsCert"), tlsKey: config("tlsKey"), tlsCa: config("tlsCa") });
}

/** The TLS files of compiled config values (a daemon's, read once at its start). */
export function tlsFilesOf(values: Pick<ConfigValues, "tlsCert" | "tlsKey" | "tlsCa">): TlsFiles | undefined {
  return checkTlsFiles({ cert: values.tlsCert, key: values.tlsKey, ca: values.tlsCa });
}

/**
 * All three files (as absolute paths), or undefined when none is given; TlsConfigError
 * naming what is missing when only some are.
 */
export function checkTlsFiles(files: { cert?: string | undefined; key?: string | undefined; ca?: string | undefined }): TlsFiles | undefined {
  const given = { cert: files.cert ?? "", key: files.key ?? "", ca: files.ca ?? "" };
  const missing = Object.entries(given)
    .filter(([, v]) => v === "")
    .map(([k]) => `--tls-${k}`);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) throw new TlsConfigError({ reason: `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} missing` });
  return { cert: path.resolve(given.cert), key: path.resolve(given.key), ca: path.resolve(given.ca) };
}

/** The config entries that carry `files` to a daemon and its workers. */
export function tlsConfigEntries(files: TlsFiles | undefined): SystemConfig {
  return files === undefined ? {} : { tlsCert: files.cert, tlsKey: files.key, tlsCa: files.ca };
}

const loaded = new Map<string, TlsMaterial>();

/** The files' contents, read once per process and checked (PEM, key matching certificate); TlsConfigError naming a bad file. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const key = `${files.cert}\n${files.key}\n${files.ca}`;
  const cached = loaded.get(key);
  if (cached !== undefined) return cached;
  const material = { cert: readPem(files.cert, "certificate"), key: readPem(files.key, "private key"), ca: readPem(files.ca, "CA certificate") };
  try {
    tls.createSecureContext(material);
  } catch (e) {
    throw new TlsConfigError({ reason: `${files.cert}, ${files.key} and ${files.ca} do not make a usable TLS identity (${(e as Error).message})`, cause: e });
  }
  loaded.set(key, material);
  return material;
}

function readPem(file: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new TlsConfigError({ reason: `cannot read the ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, cause: e });
  }
  const marker = what === "private key" ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
  if (!marker.test(bytes.toString("latin1"))) throw new TlsConfigError({ reason: `${file} is not a PEM ${what}` });
  return bytes;
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1) or `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith("127.");
}

/**
 * Warns that `what` serves `address` in plaintext when that address is not a loopback one:
 * anyone on the network can then watch and alter the cluster's traffic. Once per daemon
 * and listener, at its start.
 */
export function warnIfExposed(log: Logger, what: string, address: string, tlsOn: boolean): void {
  if (tlsOn) return;
  const host = address.slice(0, Math.max(0, address.lastIndexOf(":")));
  if (host === "" || isLoopbackHost(host)) return;
  log.warn(
    `${what} listens on ${address} without TLS: anyone who can reach that address can read and change the cluster's traffic ` +
      "(task arguments and results, objects, the cluster token in each connection's handshake). Start every node with " +
      "--tls-cert, --tls-key and --tls-ca (docs/tls.md), or keep the cluster on 127.0.0.1.",
  );
}
