import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { RuntimeEnvSpec } from "@lux/protocol";
import { RuntimeEnvSetupError, createLogger } from "@lux/common";
import type { NpmEnvs } from "./npm-envs.js";

const log = createLogger("raylet");

export interface RuntimeEnvManagerOptions {
  nodeId: string;
  /** Packages are unpacked under `<sessionDir>/runtime_resources/pkg_<hash>/`. */
  sessionDir: string;
  /** Reads a key of the control service's KV (`pkg:<hash>`). */
  fetch(key: string): Promise<Uint8Array | undefined>;
  /** The node's npm installation (the node_modules that holds `lux`); found from this file by default. */
  nodeModules?: string | undefined;
  /** Installs `runtimeEnv.npm` packages. */
  npm: Pick<NpmEnvs, "prepare">;
  /** How long an npm install may take when the env does not say (config runtimeEnvSetupTimeoutMs). */
  setupTimeoutMs: number;
}

/** What a worker of a runtime env is started with. */
export interface PreparedEnv {
  /** The unpacked workingDir: the worker's cwd. */
  dir: string | undefined;
  /** Environment variables over the node's. */
  env: Record<string, string>;
  /** Called with the pid of each worker started in the env: its npm packages are kept while it runs. */
  pin?(pid: number): void;
  /** Called once its worker has started (or failed to): the preparation no longer keeps the npm packages. */
  release?(): void;
}

/**
 * Makes runtime envs ready on this node: fetches each workingDir package from the control
 * service and unpacks it once (concurrent requests share one unpack), with a `node_modules`
 * link to the node's own installation unless the package brings its own; installs npm
 * packages through NpmEnvs.
 */
export class RuntimeEnvManager {
  private readonly unpacked = new Map<string, Promise<string>>();
  private readonly nodeModules: string | undefined;

  constructor(private readonly options: RuntimeEnvManagerOptions) {
    this.nodeModules = options.nodeModules ?? findNodeModules(path.dirname(fileURLToPath(import.meta.url)));
  }

  async prepare(spec: RuntimeEnvSpec): Promise<PreparedEnv> {
    const env: Record<string, string> = { ...spec.envVars, LUX_RUNTIME_ENV: JSON.stringify(spec) };
    const npm = spec.npm !== undefined && spec.npm.length > 0 ? spec.npm : undefined;
    const [unpacked, installed] = await Promise.allSettled([
      spec.packageHash === undefined ? undefined : this.unpack(spec.packageHash),
      npm === undefined ? undefined : this.options.npm.prepare({ specs: npm, allowScripts: spec.npmAllowScripts === true, timeoutMs: spec.setupTimeoutMs ?? this.options.setupTimeoutMs }),
    ]);
    if (unpacked.status === "rejected" || installed.status === "rejected") {
      if (installed.status === "fulfilled") installed.value?.release();
      throw unpacked.status === "rejected" ? unpacked.reason : (installed as PromiseRejectedResult).reason;
    }
    const dir = unpacked.value;
    if (dir !== undefined) env["LUX_RUNTIME_ENV_DIR"] = dir;
    const hold = installed.value;
    if (hold === undefined) return { dir, env };
    env["LUX_RUNTIME_ENV_NPM_DIR"] = hold.nodeModules;
    return { dir, env, pin: hold.pin, release: hold.release };
  }

  private unpack(hash: string): Promise<string> {
    let p = this.unpacked.get(hash);
    if (p === undefined) {
      p = this.doUnpack(hash);
      this.unpacked.set(hash, p);
      p.catch(() => this.unpacked.delete(hash));
    }
    return p;
  }

  private async doUnpack(hash: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw this.error(hash, "the package hash is malformed");
    const root = path.join(this.options.sessionDir, "runtime_resources");
    const final = path.join(root, `pkg_${hash}`);
    if (fs.existsSync(final)) return fs.realpathSync(final); // unpacked by an earlier raylet of this session
    const bytes = await this.options.fetch(`pkg:${hash}`);
    if (bytes === undefined) throw this.error(hash, "the control service does not have it (was it uploaded by the driver of this cluster?)");
    await fs.promises.mkdir(root, { recursive: true });
    const tmp = await fs.promises.mkdtemp(path.join(root, `.pkg_${hash.slice(0, 12)}-`));
    try {
      const { unzipSync } = await import("fflate"); // loaded by the few raylets that unpack
      const files = unzipSync(bytes);
      let ownModules = false;
      for (const [name, data] of Object.entries(files)) {
        const target = path.resolve(tmp, name);
        if (!target.startsWith(tmp + path.sep)) throw this.error(hash, `the entry ${JSON.stringify(name)} points outside the package`);
        if (name.startsWith("node_modules/")) ownModules = true;
        if (name.endsWith("/")) {
          await fs.promises.mkdir(target, { recursive: true });
          continue;
        }
        await fs.promises.mkdir(path.dirname(target), { recursive: true });
        await fs.promises.writeFile(target, data);
      }
      if (!ownModules && this.nodeModules !== undefined) await fs.promises.symlink(this.nodeModules, path.join(tmp, "node_modules"), "dir");
      try {
        await fs.promises.rename(tmp, final);
      } catch (e) {
        // Another raylet sharing this session dir got there first: use its copy.
        if (!fs.existsSync(final)) throw e;
        await fs.promises.rm(tmp, { recursive: true, force: true });
      }
    } catch (e) {
      await fs.promises.rm(tmp, { recursive: true, force: true });
      if (e instanceof RuntimeEnvSetupError) throw e;
      throw this.error(hash, (e as Error).message, e);
    }
    log.info(`unpacked runtime env package ${hash.slice(0, 12)} into ${final}`);
    return fs.realpathSync(final);
  }

  private error(hash: string, reason: string, cause?: unknown): RuntimeEnvSetupError {
    return new RuntimeEnvSetupError({
      what: `unpacking workingDir package pkg:${hash.slice(0, 12)}… on node ${this.options.nodeId}`,
      reason,
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}

/**
 * The node_modules directory that holds `lux`, walking up from `from` (the raylet's own
 * location): what a package without its own node_modules resolves `lux` and its npm packages from.
 */
export function findNodeModules(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules");
    if (fs.existsSync(path.join(candidate, "lux", "package.json"))) return candidate;
    if (path.dirname(dir) === dir) {
      log.warn(`no node_modules holding lux above ${from}; runtime env packages get no node_modules link`);
      return undefined;
    }
  }
}
