import * as fs from "node:fs";
import * as path from "node:path";
import type { Clock } from "@lux/protocol";
import { RuntimeEnvSetupError, createLogger, type ConfigValues } from "@lux/common";
import { FileLock } from "./file-lock.js";
import {
  dirBytes,
  envDir,
  fileDigests,
  inUse,
  listEnvs,
  lockFile,
  npmEnvKey,
  planEvictions,
  removeLeftovers,
  removePin,
  tempDir,
  touch,
  writePin,
} from "./npm-env-cache.js";
import { systemNpmInstaller, type NpmInstaller } from "./npm-install.js";

const log = createLogger("raylet");
/** A holder's lock outlives its install's deadline by this much before others may break it (its cleanup after a stop). */
const LOCK_GRACE_MS = 30_000;
/** How long eviction holds an env's lock: a rename. */
const EVICT_HOLD_MS = 60_000;

export interface NpmEnvsOptions {
  nodeId: string;
  /** The cache folder (see npm-env-cache.ts). */
  root: string;
  /** Size above which least recently used envs not in use are deleted (config runtimeEnvNpmCacheBytes). */
  capBytes: number;
  /** How often a wait for another process's install looks at its lock (config runtimeEnvNpmLockPollMs). */
  lockPollMs: number;
  clock: Clock;
  install: NpmInstaller;
  nodeVersion: string;
  luxVersion: string;
}

export interface NpmEnvRequest {
  specs: readonly string[];
  allowScripts: boolean;
  /** Setup fails past this long (runtimeEnv.setupTimeoutMs). */
  timeoutMs: number;
}

/** An env ready for a worker, kept from deletion until `release` (and then by its workers' pins). */
export interface NpmEnvHold {
  nodeModules: string;
  /** Pins the env for a worker process started in it (its pin lapses when the process ends). */
  pin(pid: number): void;
  /** This preparation is over (its worker pinned it, or did not start). */
  release(): void;
}

interface Entry {
  holds: number;
  /** The name of this raylet's pin while it holds the env. */
  pin: string;
  ready: Promise<string>;
}

/**
 * Makes npm envs ready on this node: installs each set of specs once into the machine's
 * cache (other raylets needing the same set wait on its lock and share it), keeps the ones
 * in use, and after each new install deletes the least recently used ones over the size cap.
 */
export class NpmEnvs {
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new AbortController();
  private pins = 0;

  constructor(private readonly o: NpmEnvsOptions) {}

  async prepare(req: NpmEnvRequest): Promise<NpmEnvHold> {
    const deadline = this.o.clock.now() + req.timeoutMs;
    const key = npmEnvKey({ ...req, nodeVersion: this.o.nodeVersion, luxVersion: this.o.luxVersion, fileDigests: await fileDigests(req.specs) });
    let entry = this.entries.get(key);
    const first = entry === undefined;
    if (entry === undefined) {
      const created: Entry = { holds: 0, pin: `${process.pid}-${++this.pins}`, ready: Promise.resolve("") };
      created.ready = this.obtain(key, req, created.pin, deadline);
      created.ready.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
      this.entries.set(key, created);
      entry = created;
    }
    const held = entry;
    held.holds++;
    let dir: string;
    try {
      // The request that started the install is bounded inside it (npm stopped at the
      // deadline, with its output); one that joined it has a deadline of its own.
      dir = await (first ? held.ready : this.until(held.ready, deadline, req));
    } catch (e) {
      this.drop(key, held);
      throw e;
    }
    await touch(dir).catch(() => undefined);
    let released = false;
    return {
      nodeModules: path.join(dir, "node_modules"),
      pin: (pid) => {
        try {
          writePin(dir, String(pid));
        } catch (e) {
          log.warn(`could not pin npm env ${key.slice(0, 12)} for worker pid ${pid}: ${(e as Error).message}`);
        }
      },
      release: () => {
        if (released) return;
        released = true;
        this.drop(key, held);
      },
    };
  }

  /** Stops the installs this raylet runs. */
  close(): void {
    this.closing.abort();
  }

  /** The env's folder once it exists and this raylet pins it: installed here, or by another process. */
  private async obtain(key: string, req: NpmEnvRequest, pin: string, deadline: number): Promise<string> {
    const { root, clock } = this.o;
    await fs.promises.mkdir(root, { recursive: true });
    const lock = await FileLock.acquire(lockFile(root, key), { clock, pollMs: this.o.lockPollMs, holdMs: deadline - clock.now() + LOCK_GRACE_MS, deadline });
    if (lock === undefined) {
      const holder = FileLock.holder(lockFile(root, key));
      throw this.error(req, `another process${holder !== undefined ? ` (pid ${holder.pid})` : ""} was still installing the same packages after ${req.timeoutMs} ms (runtimeEnv.setupTimeoutMs)`);
    }
    const dir = envDir(root, key);
    let installed = false;
    try {
      if (!fs.existsSync(dir)) {
        await this.install(key, req, dir, pin, deadline);
        installed = true;
      } else {
        writePin(dir, pin);
      }
    } finally {
      lock.release();
    }
    if (installed) await this.evict(key);
    return dir;
  }

  private async install(key: string, req: NpmEnvRequest, dir: string, pin: string, deadline: number): Promise<void> {
    const tmp = tempDir(this.o.root, key);
    await fs.promises.mkdir(tmp);
    const started = this.o.clock.now();
    try {
      const result = await this.o.install({ prefix: tmp, specs: req.specs, allowScripts: req.allowScripts, timeoutMs: Math.max(1, deadline - started) }, this.closing.signal);
      if (!result.ok) throw this.error(req, result.output === "" ? result.reason : `${result.reason}. The end of npm's output:\n${result.output}`);
      const bytes = await dirBytes(tmp);
      const meta = { specs: req.specs, allowScripts: req.allowScripts, node: this.o.nodeVersion, lux: this.o.luxVersion, bytes, installedAt: new Date().toISOString() };
      await fs.promises.writeFile(path.join(tmp, "lux-env.json"), JSON.stringify(meta, null, 2));
      await touch(tmp);
      writePin(tmp, pin);
      await fs.promises.rename(tmp, dir);
      log.info(`installed npm env ${key.slice(0, 12)} (${req.specs.join(" ")}, ${bytes} bytes) in ${Math.round(this.o.clock.now() - started)} ms`);
    } catch (e) {
      await fs.promises.rm(tmp, { recursive: true, force: true });
      if (e instanceof RuntimeEnvSetupError) throw e;
      throw this.error(req, (e as Error).message, e);
    }
  }

  /** Deletes least recently used envs not in use until the cache is under its cap (never `keep`). */
  private async evict(keep: string): Promise<void> {
    const { root, clock } = this.o;
    try {
      await removeLeftovers(root);
      const { order, excessBytes } = planEvictions(await listEnvs(root), this.o.capBytes, new Set([keep]));
      let freed = 0;
      for (const env of order) {
        if (freed >= excessBytes) break;
        const lock = FileLock.tryAcquire(lockFile(root, env.key), clock, EVICT_HOLD_MS);
        if (lock === undefined) continue; // being installed or pinned right now
        let trash: string | undefined;
        try {
          if (this.entries.has(env.key) || (await inUse(env.dir))) continue;
          trash = path.join(root, `.trash-${env.key}`);
          await fs.promises.rename(env.dir, trash);
        } finally {
          lock.release();
        }
        await fs.promises.rm(trash, { recursive: true, force: true });
        freed += env.bytes;
        log.info(`deleted npm env ${env.key.slice(0, 12)} (${env.bytes} bytes, least recently used) to keep the cache under ${this.o.capBytes} bytes`);
      }
      if (freed < excessBytes) log.warn(`the npm env cache in ${root} is over its cap of ${this.o.capBytes} bytes by ${excessBytes - freed} bytes: the rest is in use`);
    } catch (e) {
      log.warn(`cleaning the npm env cache in ${root} failed: ${(e as Error).message}`);
    }
  }

  /** `ready`, or a RuntimeEnvSetupError at the deadline (an install started by an earlier request may take longer). */
  private until(ready: Promise<string>, deadline: number, req: NpmEnvRequest): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = this.o.clock.setTimeout(
        () => reject(this.error(req, `the install was not done within ${req.timeoutMs} ms (runtimeEnv.setupTimeoutMs)`)),
        deadline - this.o.clock.now(),
      );
      ready.then(
        (dir) => {
          timer.cancel();
          resolve(dir);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e as Error);
        },
      );
    });
  }

  private drop(key: string, entry: Entry): void {
    if (--entry.holds > 0 || this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    // Settled by now (a hold is given out once it is ready); a failed one pinned nothing.
    entry.ready.then(
      (dir) => removePin(dir, entry.pin),
      () => undefined,
    ).catch((e: unknown) => log.warn(`could not unpin npm env ${key.slice(0, 12)}: ${(e as Error).message}`));
  }

  private error(req: NpmEnvRequest, reason: string, cause?: unknown): RuntimeEnvSetupError {
    return new RuntimeEnvSetupError({
      what: `installing npm packages ${req.specs.join(" ")} on node ${this.o.nodeId}`,
      reason,
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}

/** A raylet's NpmEnvs: the machine's npm, cache and config. */
export function nodeNpmEnvs(
  nodeId: string,
  config: Pick<ConfigValues, "runtimeEnvNpmCacheDir" | "sessionDirRoot" | "runtimeEnvNpmCacheBytes" | "runtimeEnvNpmLockPollMs">,
  clock: Clock,
): NpmEnvs {
  return new NpmEnvs({
    nodeId,
    root: npmCacheDir(config),
    capBytes: config.runtimeEnvNpmCacheBytes,
    lockPollMs: config.runtimeEnvNpmLockPollMs,
    clock,
    install: systemNpmInstaller(clock),
    nodeVersion: process.version,
    luxVersion: luxVersion(),
  });
}

/** The npm env cache of this machine: config runtimeEnvNpmCacheDir, else under the session root. */
export function npmCacheDir(config: Pick<ConfigValues, "runtimeEnvNpmCacheDir" | "sessionDirRoot">): string {
  return config.runtimeEnvNpmCacheDir !== "" ? config.runtimeEnvNpmCacheDir : path.join(config.sessionDirRoot, "runtime_resources", "npm");
}

/** Lux's version, as this raylet's package says (part of each env's key). */
export function luxVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}
