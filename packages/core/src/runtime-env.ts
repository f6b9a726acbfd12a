import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import type { Zippable } from "fflate";
import type { CoreWorkerService, GcsService, RpcConnection, RuntimeEnvSpec } from "@lux/protocol";
import { InvalidOptionError, RuntimeEnvSetupError, type ConfigValues } from "@lux/common";
import { checkNpmFields, type NpmFields } from "./npm-specs.js";


/**
 * The environment a task's or actor's worker runs in, on whichever node it lands
 * (see docs/runtime-env.md). Given to `lux.init` it applies to the whole job; given in
 * `.options(...)` it is merged over the job's: `envVars` key by key, `workingDir` replaced.
 */
export interface RuntimeEnv {
  /**
   * A local directory shipped to every node that runs the work: zipped (without
   * `node_modules` unless `includeNodeModules`, `.git` and `excludes`), unpacked once per
   * node; workers start in the unpacked copy and import the modules defined under it from there.
   */
  workingDir?: string;
  /** Environment variables set in the workers, over the node's own environment. */
  envVars?: Record<string, string>;
  /** Files and directories of `workingDir` not to ship: paths relative to it, or globs (`*.log`, `data/**`). */
  excludes?: string[];
  /** Ship `workingDir/node_modules` too, instead of using the npm packages installed on each node. Default false. */
  includeNodeModules?: boolean;
  /**
   * npm packages the workers import, installed once per node into a cache shared by jobs:
   * `"name"`, `"name@version"` (or a range or tag), `"file:/path/to/pkg.tgz"` (a tarball made by
   * `npm pack`, at that path on every node). Bare `import`s and `require`s of the job's code
   * resolve from them first. Given in `.options(...)` it replaces the job's list (`[]`: none).
   */
  npm?: string[];
  /** Run the npm packages' install scripts (`preinstall`, `install`, `postinstall`). Default false: `npm install --ignore-scripts`. */
  npmAllowScripts?: boolean;
  /**
   * How long a node may take to install the npm packages (or wait for another job's install
   * of the same ones) before npm is stopped and the task or actor fails with
   * RuntimeEnvSetupError. Default 10 minutes (config runtimeEnvSetupTimeoutMs).
   */
  setupTimeoutMs?: number;
}

/** A validated runtimeEnv option; `workingDir` is an absolute real path, `file:` npm specs absolute. */
export interface RuntimeEnvInput extends NpmFields {
  workingDir: string | undefined;
  envVars: Record<string, string>;
  excludes: string[];
  includeNodeModules: boolean;
}

const KEYS = ["workingDir", "envVars", "excludes", "includeNodeModules", "npm", "npmAllowScripts", "setupTimeoutMs"];

/** Validates a runtimeEnv option at the call site; InvalidOptionError names the field. */
export function checkRuntimeEnv(v: unknown, option = "runtimeEnv"): RuntimeEnvInput | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidOptionError({ option, expected: `an object { ${KEYS.map((k) => `${k}?`).join(", ")} }`, received: v });
  }
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) throw new InvalidOptionError({ option: `${option}.${key}`, expected: `one of the runtimeEnv fields: ${KEYS.join(", ")}` });
  }
  let workingDir: string | undefined;
  if (o["workingDir"] !== undefined) {
    const dir = o["workingDir"];
    if (typeof dir !== "string" || dir === "") {
      throw new InvalidOptionError({ option: `${option}.workingDir`, expected: "a path to a local directory", received: dir });
    }
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(dir);
    } catch {
      stat = undefined;
    }
    if (stat === undefined || !stat.isDirectory()) {
      throw new InvalidOptionError({
        option: `${option}.workingDir`,
        expected: `an existing directory (${path.resolve(dir)} ${stat === undefined ? "does not exist" : "is not a directory"})`,
        received: dir,
      });
    }
    workingDir = fs.realpathSync(dir);
  }
  const envVars: Record<string, string> = {};
  if (o["envVars"] !== undefined) {
    const ev = o["envVars"];
    if (ev === null || typeof ev !== "object" || Array.isArray(ev)) {
      throw new InvalidOptionError({ option: `${option}.envVars`, expected: "an object of variable name to string value", received: ev });
    }
    for (const [k, value] of Object.entries(ev)) {
      if (typeof value !== "string") {
        throw new InvalidOptionError({ option: `${option}.envVars.${k}`, expected: "a string (environment values are text)", received: value });
      }
      if (k === "" || k.includes("=") || k.includes("\0")) {
        throw new InvalidOptionError({ option: `${option}.envVars`, expected: "variable names without '=' or NUL", received: k });
      }
      envVars[k] = value;
    }
  }
  const ex = o["excludes"];
  if (ex !== undefined && !(Array.isArray(ex) && ex.every((x) => typeof x === "string" && x !== ""))) {
    throw new InvalidOptionError({ option: `${option}.excludes`, expected: "an array of paths or globs relative to workingDir", received: ex });
  }
  const inm = o["includeNodeModules"];
  if (inm !== undefined && typeof inm !== "boolean") {
    throw new InvalidOptionError({ option: `${option}.includeNodeModules`, expected: "a boolean", received: inm });
  }
  return { workingDir, envVars, excludes: (ex as string[] | undefined) ?? [], includeNodeModules: inm ?? false, ...checkNpmFields(o, option) };
}

/** A zipped workingDir: its bytes and their sha256. */
export interface PackedDir {
  dir: string;
  bytes: Uint8Array;
  hash: string;
}

/** A fixed time for every entry, so the same files always make the same package (and hash). */
const ZIP_MTIME = new Date(Date.UTC(2000, 0, 1));

/**
 * Zips `dir` without `.git`, `node_modules` (unless includeNodeModules) and `excludes`.
 * Throws RuntimeEnvSetupError when its files add up to more than `cap` (config runtimeEnvMaxBytes).
 */
export function packWorkingDir(input: RuntimeEnvInput & { workingDir: string }, cap: number): PackedDir {
  const dir = input.workingDir;
  const excluded = compileExcludes(input.excludes, dir);
  const files: Zippable = {};
  const seenDirs = new Set<string>();
  let total = 0;
  const walk = (abs: string, rel: string): void => {
    const real = fs.realpathSync(abs);
    if (seenDirs.has(real)) return; // a symlink loop
    seenDirs.add(real);
    const entries = fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childAbs = path.join(abs, e.name);
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = fs.statSync(childAbs, { throwIfNoEntry: false });
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (isDir && (e.name === ".git" || (e.name === "node_modules" && !input.includeNodeModules))) continue;
      if (excluded(childRel, e.name, isDir)) continue;
      if (isDir) {
        walk(childAbs, childRel);
      } else if (isFile) {
        const data = fs.readFileSync(childAbs);
        total += data.byteLength;
        if (total > cap) {
          throw new RuntimeEnvSetupError({
            what: `packing workingDir ${dir}`,
            reason:
              `its files add up to more than ${total} bytes (${mib(total)}), over the cap of ${cap} bytes (${mib(cap)}). ` +
              'Leave out what the tasks do not need with runtimeEnv.excludes (e.g. ["data/", "*.log"]; node_modules and .git ' +
              "are already left out), or raise the cap with LUX_RUNTIME_ENV_MAX_BYTES",
          });
        }
        files[childRel] = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      }
    }
  };
  walk(dir, "");
  // Required here, not imported at the top: every worker loads this module, few pack.
  const { zipSync } = createRequire(import.meta.url)("fflate") as typeof import("fflate");
  const bytes = zipSync(files, { level: 1, mtime: ZIP_MTIME });
  return { dir, bytes, hash: createHash("sha256").update(bytes).digest("hex") };
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * `excludes` as a matcher, gitignore-like: a pattern with a "/" inside is matched against
 * the path relative to workingDir, one without against each file or directory name; `*`
 * and `?` stay within a path segment, `**` crosses them; a trailing "/" matches directories
 * only; an excluded directory excludes everything under it. Absolute paths under workingDir work too.
 */
export function compileExcludes(patterns: readonly string[], dir: string): (rel: string, name: string, isDir: boolean) => boolean {
  const rules = patterns.map((raw) => {
    let p = raw;
    if (path.isAbsolute(p)) p = path.relative(dir, p);
    p = p.split(path.sep).join("/");
    if (p.startsWith("./")) p = p.slice(2);
    const dirOnly = p.endsWith("/");
    p = p.replace(/\/+$/, "");
    const anchored = p.includes("/");
    p = p.replace(/^\/+/, "");
    return { re: globToRegExp(p), dirOnly, anchored };
  });
  return (rel, name, isDir) => rules.some((r) => (!r.dirOnly || isDir) && r.re.test(r.anchored ? rel : name));
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") {
        i++;
        re += "(?:.*/)?";
      } else {
        re += ".*";
      }
    } else if (c === "*") {
      re += "[^/]*";
    } else if (c === "?") {
      re += "[^/]";
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * Turns runtimeEnv options into the RuntimeEnvSpec leases carry: merges them over the
 * job's (or, in a worker, over the worker's own), packs and uploads working dirs to the
 * control service's KV as `pkg:<sha256>` (once per directory per process, skipped when
 * the package is already there).
 */
export class RuntimeEnvResolver {
  private readonly packages = new Map<string, Promise<{ packageHash: string; workingDirUrl: string }>>();

  constructor(
    private readonly gcs: Pick<RpcConnection<GcsService, CoreWorkerService>, "call">,
    /** The job's (driver) or this worker's runtime env; tasks inherit it. */
    public base: RuntimeEnvSpec | undefined,
    private readonly config: Pick<ConfigValues, "runtimeEnvMaxBytes" | "runtimeEnvPackageTimeoutMs">,
  ) {}

  /** Sets the job's runtime env (driver, at init); an already packed workingDir is uploaded now. */
  async setJobEnv(input: RuntimeEnvInput, packed: PackedDir | undefined): Promise<void> {
    this.base = await this.resolve(input, packed);
  }

  /** The spec for work submitted with `input` (undefined: the base). */
  async resolve(input: RuntimeEnvInput | undefined, packed?: PackedDir): Promise<RuntimeEnvSpec | undefined> {
    if (input === undefined) return this.base;
    const envVars = { ...(this.base?.envVars ?? {}), ...input.envVars };
    let pkg: { packageHash?: string; workingDirUrl?: string } = {};
    if (input.workingDir !== undefined) {
      pkg = await this.upload({ ...input, workingDir: input.workingDir }, packed);
    } else if (this.base?.packageHash !== undefined && this.base.workingDirUrl !== undefined) {
      pkg = { packageHash: this.base.packageHash, workingDirUrl: this.base.workingDirUrl };
    }
    const npm = mergeNpm(this.base, input);
    if (pkg.packageHash === undefined && Object.keys(envVars).length === 0 && npm.npm === undefined && npm.setupTimeoutMs === undefined) return undefined;
    return { ...pkg, envVars, ...npm };
  }

  private upload(input: RuntimeEnvInput & { workingDir: string }, packed: PackedDir | undefined): Promise<{ packageHash: string; workingDirUrl: string }> {
    const key = JSON.stringify([input.workingDir, input.excludes, input.includeNodeModules]);
    let p = this.packages.get(key);
    if (p === undefined) {
      p = (async () => {
        const pack = packed ?? packWorkingDir(input, this.config.runtimeEnvMaxBytes);
        const kvKey = `pkg:${pack.hash}`;
        const { exists } = await this.gcs.call("kvExists", { key: kvKey });
        // Up to runtimeEnvMaxBytes: its own deadline, not the default of small calls.
        if (!exists) await this.gcs.call("kvPut", { key: kvKey, value: pack.bytes, overwrite: false }, this.config.runtimeEnvPackageTimeoutMs);
        return { packageHash: pack.hash, workingDirUrl: pathToFileURL(pack.dir).href.replace(/\/?$/, "/") };
      })();
      this.packages.set(key, p);
      p.catch(() => this.packages.delete(key));
    }
    return p;
  }
}

/**
 * The npm part of a merged env: a given `npm` list replaces the base's, with its own
 * `npmAllowScripts` (default off); `npmAllowScripts` alone applies to the base's list;
 * `setupTimeoutMs` given wins over the base's.
 */
export function mergeNpm(
  base: RuntimeEnvSpec | undefined,
  input: NpmFields,
): Pick<RuntimeEnvSpec, "npm" | "npmAllowScripts" | "setupTimeoutMs"> {
  const list = input.npm ?? base?.npm ?? [];
  const allow = input.npmAllowScripts ?? (input.npm !== undefined ? false : (base?.npmAllowScripts ?? false));
  const timeout = input.setupTimeoutMs ?? base?.setupTimeoutMs;
  return {
    ...(list.length > 0 ? { npm: list } : {}),
    ...(list.length > 0 && allow ? { npmAllowScripts: true } : {}),
    ...(timeout !== undefined ? { setupTimeoutMs: timeout } : {}),
  };
}
