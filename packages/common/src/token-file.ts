/**
 * Where a cluster's auth token is kept for other drivers on the same machine: one file per
 * control-service address under `<sessionDirRoot>/tokens/`, readable by the user only.
 * The control service writes it when it starts serving and removes it when it exits, so
 * `lux.init({ address })` on this machine needs no LUX_TOKEN.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { config } from "./config.js";

/** Random bytes in a new cluster token: 256 bits, beyond guessing at any rate a network allows. */
export const CLUSTER_TOKEN_BYTES = 32;

/** A new cluster's token (`lux start --head`, `lux.init()`'s private cluster, LocalCluster): 64 hex digits. */
export function newClusterToken(): string {
  return randomBytes(CLUSTER_TOKEN_BYTES).toString("hex");
}

export function tokenFilePath(address: string): string {
  return path.join(config("sessionDirRoot"), "tokens", address.replace(/[^\w.-]/g, "_"));
}

export function writeTokenFile(address: string, token: string): void {
  const file = tokenFilePath(address);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // A stale file of a dead cluster at the same address may exist: replace it, so the mode
  // is ours and not the old file's.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, token, { mode: 0o600, flag: "wx" });
}

export function removeTokenFile(address: string): void {
  fs.rmSync(tokenFilePath(address), { force: true });
}

/** The token of a cluster started on this machine, if its token file is readable. */
export function readTokenFile(address: string): string | undefined {
  try {
    return fs.readFileSync(tokenFilePath(address), "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Control-service addresses of the clusters whose token files this user can read, newest
 * first: those `lux start` and `lux.init()` started on this machine (a file may outlive a
 * control service that was SIGKILLed, so callers check that the address answers).
 */
export function tokenFileAddresses(): string[] {
  const dir = path.dirname(tokenFilePath("x"));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: { address: string; mtimeMs: number }[] = [];
  for (const name of names) {
    // tokenFilePath turned "host:port" into "host_port"; hosts of this machine hold no "_".
    const m = /^([\w.-]+)_(\d+)$/.exec(name);
    if (m === null || m[1]?.includes("_")) continue;
    try {
      found.push({ address: `${m[1]}:${m[2]}`, mtimeMs: fs.statSync(path.join(dir, name)).mtimeMs });
    } catch {
      // removed meanwhile: its cluster ended
    }
  }
  return found.sort((a, b) => b.mtimeMs - a.mtimeMs).map((f) => f.address);
}
