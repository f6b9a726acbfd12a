import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { READY_PREFIX, config, configEnv, removeTokenFile } from "@lux/common";

export { readTokenFile } from "@lux/common";

export interface PrivateClusterOptions {
  numCpus: number;
  numGpus: number;
  resources: Record<string, number>;
  objectStoreMemory: number | undefined;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  info: Record<string, unknown>;
}

const workerMain = fileURLToPath(new URL("./worker-main.js", import.meta.url));

/**
 * A cluster private to one driver: the control service and one raylet as child
 * processes. They watch their stdin, so they exit even if the driver is SIGKILLed.
 */
export class PrivateCluster {
  private constructor(
    readonly token: string,
    readonly sessionDir: string,
    private readonly gcs: Daemon,
    private readonly raylet: Daemon,
  ) {}

  get gcsAddress(): string {
    return this.gcs.info["address"] as string;
  }

  get rayletAddress(): string {
    return this.raylet.info["address"] as string;
  }

  pids(): number[] {
    return [this.gcs.child.pid ?? 0, this.raylet.child.pid ?? 0];
  }

  static async start(opts: PrivateClusterOptions): Promise<PrivateCluster> {
    const token = randomBytes(24).toString("hex");
    const sessionDir = makeSessionDir();
    const env: NodeJS.ProcessEnv = { ...process.env, ...configEnv(), LUX_TOKEN: token };
    delete env["NODE_OPTIONS"];
    const gcsMain = fileURLToPath(import.meta.resolve("@lux/gcs/main"));
    const rayletMain = fileURLToPath(import.meta.resolve("@lux/raylet/main"));
    const gcs = await startDaemon(
      "gcs",
      gcsMain,
      ["--exit-with-parent", "--write-token-file", "--log-file", path.join(sessionDir, "logs", "gcs.log")],
      env,
    );
    const resources: Record<string, number> = { ...opts.resources, CPU: opts.numCpus };
    if (opts.numGpus > 0) resources["GPU"] = opts.numGpus;
    let raylet: Daemon;
    try {
      raylet = await startDaemon(
        "raylet",
        rayletMain,
        [
          "--exit-with-parent",
          "--gcs-address",
          gcs.info["address"] as string,
          "--worker-main",
          workerMain,
          "--resources",
          JSON.stringify(resources),
          ...(opts.objectStoreMemory !== undefined ? ["--object-store-memory", String(opts.objectStoreMemory)] : []),
          "--log-file",
          path.join(sessionDir, "logs", "raylet.log"),
          "--session-dir",
          sessionDir,
        ],
        env,
      );
    } catch (e) {
      await stopDaemon(gcs);
      throw e;
    }
    return new PrivateCluster(token, sessionDir, gcs, raylet);
  }

  async stop(): Promise<void> {
    // The control service also removes its token file as it exits (even when we are killed).
    removeTokenFile(this.gcsAddress);
    await stopDaemon(this.raylet);
    await stopDaemon(this.gcs);
  }
}

function makeSessionDir(): string {
  const root = config("sessionDirRoot");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
  const dir = path.join(root, `session_${stamp}_${process.pid}_${randomBytes(3).toString("hex")}`);
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true, mode: 0o700 });
  return dir;
}

function startDaemon(name: string, main: string, args: string[], env: NodeJS.ProcessEnv): Promise<Daemon> {
  const child = spawn(process.execPath, [main, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let buffered = "";
    let stderr = "";
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString("utf8");
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const nl = buffered.indexOf("\n");
      if (nl < 0 || !buffered.startsWith(READY_PREFIX)) return;
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onStderr);
      child.off("exit", onExit);
      const info = JSON.parse(buffered.slice(READY_PREFIX.length, nl)) as Record<string, unknown>;
      const rest = buffered.slice(nl + 1);
      if (rest !== "") process.stdout.write(rest);
      // From now on the daemon's output is its workers' output, for the user to see.
      child.stdout?.pipe(process.stdout, { end: false });
      child.stderr?.pipe(process.stderr, { end: false });
      unrefChild(child);
      resolve({ name, child, info });
    };
    const onExit = (code: number | null, signal: string | null): void => {
      reject(new Error(`the ${name} process exited during start (${signal ?? `code ${code}`}): ${stderr.trim() || "no output"}`));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onStderr);
    child.once("exit", onExit);
  });
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

async function stopDaemon(d: Daemon): Promise<void> {
  const { child } = d;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  child.stdout?.unpipe(process.stdout);
  child.stderr?.unpipe(process.stderr);
}
