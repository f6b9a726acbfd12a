/**
 * Process entry of the autoscaler, a head process started by `lux up` and `lux start --head
 * --autoscaling-config`: `node main.js --config FILE --gcs-address HOST:PORT [--log-file F]
 * [--exit-with-parent]`, with the cluster token in LUX_TOKEN.
 *
 * This process supervises: it runs the reconciler as a child (the same script with `--run`)
 * and starts it again when it crashes (after 1 s, doubling to 30 s; back to 1 s once one ran a
 * minute). The reconciler keeps nothing of its own: a new one finds its nodes by their
 * provider tags. SIGTERM stops both; the nodes keep running (`lux down` ends them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { READY_PREFIX, config, createLogger, daemonStop, exitWithParent, guardDaemonProcess, parseFlags, printReady, useLogFile } from "@lux/common";
import { sleep, systemClock } from "@lux/protocol";
import { runReconciler } from "./reconciler-process.js";

const log = createLogger("autoscaler");
const flags = parseFlags(process.argv.slice(2));
const logFile = flags.get("log-file");
if (logFile !== undefined) useLogFile(logFile, { maxBytes: config("logRotationBytes"), backups: config("logRotationBackups") });
guardDaemonProcess(log);
const token = process.env["LUX_TOKEN"];
const gcsAddress = flags.get("gcs-address");
const configFile = flags.get("config");
if (!token || gcsAddress === undefined || configFile === undefined) {
  log.error("usage: autoscaler --config FILE --gcs-address HOST:PORT [--log-file F] (LUX_TOKEN must be set)");
  process.exit(2);
}

if (flags.has("run")) {
  const reconciler = await runReconciler({ configFile, gcsAddress, token });
  const stop = daemonStop(log, () => reconciler.close());
  if (flags.has("exit-with-parent")) exitWithParent(stop);
  printReady({ pid: process.pid });
} else {
  await supervise();
}

/** Runs the reconciler child, again after each crash; resolves never (the process exits on SIGTERM). */
async function supervise(): Promise<void> {
  const childArgs = [fileURLToPath(import.meta.url), ...process.argv.slice(2).filter((a) => a !== "--exit-with-parent"), "--run", "--exit-with-parent"];
  let child: ChildProcess | undefined;
  let stopping = false;
  const stop = daemonStop(log, async () => {
    stopping = true;
    await stopChild(child);
  });
  if (flags.has("exit-with-parent")) exitWithParent(stop);
  let ready = false;
  let delayMs = 1000;
  for (;;) {
    const startedAt = systemClock.now();
    child = spawn(process.execPath, childArgs, { env: process.env, stdio: ["pipe", "pipe", "inherit"] });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child?.once("exit", (code, signal) => resolve({ code, signal })));
    child.on("error", () => undefined);
    forwardOutput(child, () => {
      if (ready) return;
      ready = true;
      printReady({ address: gcsAddress, pid: process.pid });
    });
    const { code, signal } = await exit;
    if (stopping) return;
    if (code === 0 || code === 2) {
      // 0: it was stopped; 2: its config or flags are wrong, and a restart would not fix them.
      log.warn(`the reconciler exited (code ${code}); the autoscaler stops`);
      process.exit(code);
    }
    if (systemClock.now() - startedAt > 60_000) delayMs = 1000;
    log.warn(`the reconciler (pid ${child.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${delayMs} ms`);
    await sleep(systemClock, delayMs);
    delayMs = Math.min(delayMs * 2, 30_000);
  }
}

/** The child's stdout to ours, its ready line excepted (the first one makes this process ready). */
function forwardOutput(child: ChildProcess, onReady: () => void): void {
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith(READY_PREFIX)) onReady();
      else process.stdout.write(`${line}\n`);
    }
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
