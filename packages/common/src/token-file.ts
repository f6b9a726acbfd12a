/**
 * Where a cluster's auth token is kept for other drivers on the same machine: one file per
 * control-service address under `<sessionDirRoot>/tokens/`, readable by the user only.
 * The control service writes it when it starts serving and removes it when it exits, so
 * `lux.init({ address })` on this machine needs no LUX_TOKEN.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { config } from "./config.js";

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
