/** Shared helpers for cluster tests: real processes, polled conditions, no sleeps. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import * as lux from "lux";
import { LocalCluster, type LocalClusterOptions } from "lux/testing";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixtures = path.join(root, "test/integration/fixtures");
const tsxLoader = path.join(root, "node_modules/tsx/dist/loader.mjs");

/** Polls `condition` until it is true or the deadline passes (then throws naming `what`). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (children, grandchildren, ...). */
export function descendants(pid: number): number[] {
  const out = spawnSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of out.split("\n")) {
    const [c, p] = line.trim().split(/\s+/).map(Number);
    if (c === undefined || p === undefined || Number.isNaN(c)) continue;
    children.set(p, [...(children.get(p) ?? []), c]);
  }
  const result: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop() as number) ?? []) {
      result.push(c);
      stack.push(c);
    }
  }
  return result;
}

export interface ScriptProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/** Starts a TypeScript (or .mjs) script as a separate driver process with the tsx loader. */
export function startScript(
  file: string,
  options: { env?: Record<string, string>; args?: string[]; loader?: boolean; nodeArgs?: string[] } = {},
): ScriptProcess {
  const loaderArgs = options.loader === false ? [] : ["--import", tsxLoader];
  // nodeArgs: extra Node flags before the script, e.g. ["--expose-gc"].
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loaderArgs, file, ...(options.args ?? [])], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async line(pattern, timeoutMs = 30_000) {
      let m: RegExpMatchArray | null = null;
      await waitFor(() => (m = out.match(pattern)) !== null || child.exitCode !== null, `stdout to match ${pattern}`, timeoutMs);
      if (m === null) throw new Error(`script exited before printing ${pattern}; stdout: ${out}\nstderr: ${err}`);
      return m;
    },
    exited: () => exit,
    kill: (signal = "SIGKILL") => child.kill(signal),
  };
}

/** Runs a script to completion and returns its exit code and output. */
export async function runScript(
  file: string,
  options: { env?: Record<string, string>; args?: string[]; loader?: boolean; nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startScript(file, options);
  const timer = setTimeout(() => p.kill(), options.timeoutMs ?? 60_000);
  const { code } = await p.exited();
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * A tmpfs of `bytes` mounted at a new temporary folder, to make a small disk that fills up.
 * Needs root: without it this throws, failing the test with the reason. Unmount in `finally`.
 */
export function mountTmpfs(bytes: number): { dir: string; unmount(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-tmpfs-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs at ${dir} (this test needs root to make a small disk): ${r.stderr || r.error?.message}`);
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For the enclosing describe (or the file): before its tests, starts a LocalCluster and runs
 * `setUp` on it (add nodes, connect this process's driver; by default `lux.init` with its
 * address); after them, shuts the driver and the cluster down. A failing `setUp` shuts them
 * down too, so no process outlives the test. Read `.cluster` inside tests and hooks.
 */
export function withCluster(
  options: LocalClusterOptions,
  setUp: (cluster: LocalCluster) => Promise<void> = (c) => lux.init({ address: c.address }).then(() => undefined),
): { readonly cluster: LocalCluster } {
  let started: LocalCluster | undefined;
  const stop = async (): Promise<void> => {
    await lux.shutdown();
    await started?.shutdown();
  };
  before(async () => {
    started = await LocalCluster.start(options);
    try {
      await setUp(started);
    } catch (e) {
      await stop();
      throw e;
    }
  });
  after(stop);
  return {
    get cluster(): LocalCluster {
      if (started === undefined) throw new Error("withCluster: the cluster is only there inside tests and hooks");
      return started;
    },
  };
}

/** Every value of an async iterable, in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}
