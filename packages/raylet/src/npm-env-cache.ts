/**
 * The on-disk cache of npm envs, shared by the raylets of a machine (config runtimeEnvNpmCacheDir):
 *
 *   env_<key>/            a complete env, renamed into place once installed
 *     node_modules/       what workers resolve from
 *     lux-env.json        its specs, versions and size
 *     .last-used          touched at each use (least recently used envs go first)
 *     .in-use/<pid>[-n]   pins: a worker process running in it, or a raylet preparing one
 *   env_<key>.lock        taken while installing, pinning or deleting it (file-lock.ts)
 *   .tmp-<key>-<pid>-…    an install in progress; .trash-… an env being deleted
 */
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { processRuns } from "./file-lock.js";

/** What an env's key is made of: the same parts, the same installed files. */
export interface NpmEnvKeyParts {
  specs: readonly string[];
  allowScripts: boolean;
  nodeVersion: string;
  luxVersion: string;
  /** sha256 of each `file:` spec's tarball as this node has it ("missing" if it has none): a re-packed tarball is a new env. */
  fileDigests: Readonly<Record<string, string>>;
}

export interface NpmEnvEntry {
  key: string;
  dir: string;
  bytes: number;
  /** When it was last used (ms since the epoch). */
  lastUsed: number;
}

/** The key of an env (hex): the sorted specs, whether scripts run, the Node and Lux versions, the tarballs' digests. */
export function npmEnvKey(p: NpmEnvKeyParts): string {
  const specs = [...p.specs].sort();
  const digests = specs.filter((s) => s.startsWith("file:")).map((s) => p.fileDigests[s] ?? "missing");
  return createHash("sha256")
    .update(JSON.stringify([specs, p.allowScripts, p.nodeVersion, p.luxVersion, digests]))
    .digest("hex")
    .slice(0, 32);
}

/** sha256 of each `file:` spec's file (a directory, or a file that cannot be read: "missing"/its path). */
export async function fileDigests(specs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    if (!spec.startsWith("file:")) continue;
    try {
      out[spec] = createHash("sha256").update(await fs.promises.readFile(spec.slice("file:".length))).digest("hex");
    } catch {
      out[spec] = "missing";
    }
  }
  return out;
}

export const envDir = (root: string, key: string): string => path.join(root, `env_${key}`);
export const lockFile = (root: string, key: string): string => path.join(root, `env_${key}.lock`);
export const tempDir = (root: string, key: string): string => path.join(root, `.tmp-${key}-${process.pid}-${randomUUID().slice(0, 8)}`);

/** The complete envs under `root`, with their sizes and last use. */
export async function listEnvs(root: string): Promise<NpmEnvEntry[]> {
  const out: NpmEnvEntry[] = [];
  for (const name of await list(root)) {
    const m = /^env_([0-9a-f]+)$/.exec(name);
    if (m === null) continue;
    const dir = path.join(root, name);
    try {
      const meta = JSON.parse(await fs.promises.readFile(path.join(dir, "lux-env.json"), "utf8")) as { bytes?: unknown };
      const used = await fs.promises.stat(path.join(dir, ".last-used"));
      out.push({ key: m[1] as string, dir, bytes: typeof meta.bytes === "number" ? meta.bytes : 0, lastUsed: used.mtimeMs });
    } catch {
      // deleted meanwhile
    }
  }
  return out;
}

/**
 * Which envs to delete to bring the cache under `capBytes`: the least recently used first,
 * never one of `keep`; `excessBytes` is how much must go (candidates in use are skipped, so
 * the caller walks the order until enough went).
 */
export function planEvictions(envs: readonly NpmEnvEntry[], capBytes: number, keep: ReadonlySet<string>): { order: NpmEnvEntry[]; excessBytes: number } {
  const total = envs.reduce((sum, e) => sum + e.bytes, 0);
  const excessBytes = Math.max(0, total - capBytes);
  if (excessBytes === 0) return { order: [], excessBytes };
  const order = envs.filter((e) => !keep.has(e.key)).sort((a, b) => a.lastUsed - b.lastUsed || (a.key < b.key ? -1 : 1));
  return { order, excessBytes };
}

/** Marks `dir` as used by process `name` (`<pid>` or `<pid>-<n>`). */
export function writePin(dir: string, name: string): void {
  const pins = path.join(dir, ".in-use");
  fs.mkdirSync(pins, { recursive: true });
  fs.writeFileSync(path.join(pins, name), "");
}

export function removePin(dir: string, name: string): void {
  fs.rmSync(path.join(dir, ".in-use", name), { force: true });
}

/** Whether a running process pins `dir`; pins of processes that ended are removed. */
export async function inUse(dir: string): Promise<boolean> {
  const pins = path.join(dir, ".in-use");
  let used = false;
  for (const name of await list(pins)) {
    const pid = Number(/^(\d+)/.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid > 0 && processRuns(pid)) used = true;
    else await fs.promises.rm(path.join(pins, name), { force: true });
  }
  return used;
}

/** Marks `dir` as used now (the order of eviction). */
export async function touch(dir: string): Promise<void> {
  const now = new Date();
  const file = path.join(dir, ".last-used");
  try {
    await fs.promises.utimes(file, now, now);
  } catch {
    await fs.promises.writeFile(file, "");
  }
}

/** Bytes of the files under `dir` (symlinks counted as themselves). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else total += (await fs.promises.lstat(p)).size;
  }
  return total;
}

/** Removes what ended processes left: installs and lock drafts whose raylet is gone, envs and broken locks half deleted. */
export async function removeLeftovers(root: string): Promise<void> {
  for (const name of await list(root)) {
    const pid = (/^\.tmp-[0-9a-f]+-(\d+)-/.exec(name) ?? /\.lock\.draft-(\d+)-/.exec(name))?.[1];
    const stale = name.startsWith(".trash-") || name.includes(".lock.stale-") || (pid !== undefined && !processRuns(Number(pid)));
    if (stale) await fs.promises.rm(path.join(root, name), { recursive: true, force: true });
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch {
    return [];
  }
}
