/** Helpers for Lux daemon processes (control service, raylet, workers). */
import * as fs from "node:fs";
import type { Logger } from "./logger.js";

/** Parses `--name value` and bare `--flag` arguments. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags.set(arg.slice(2), next);
      i++;
    } else {
      flags.set(arg.slice(2), "true");
    }
  }
  return flags;
}

export const READY_PREFIX = "LUX_READY ";

/** Tells the parent the daemon is serving: one line on stdout. */
export function printReady(info: Record<string, unknown>): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

/**
 * Runs `stop` when the parent goes away, even if it was SIGKILLed: the parent holds the
 * write end of our stdin, which the kernel closes when it dies.
 */
export function exitWithParent(stop: () => Promise<void> | void): void {
  let stopping = false;
  const go = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(stop)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.stdin.on("end", go);
  process.stdin.on("close", go);
  process.stdin.on("error", go);
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) go();
  }, 1000).unref();
}

/** What `publishAddress` writes when the daemon whose address was awaited failed to start. */
const NO_ADDRESS = "-";

/**
 * Publishes a daemon's address to a daemon started alongside it (see `readPublishedAddress`),
 * or, with `undefined`, that it failed to start. Atomic: the reader never sees half of it.
 */
export function publishAddress(file: string, address: string | undefined): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, address ?? NO_ADDRESS);
  fs.renameSync(tmp, file);
}

/** Waits for `publishAddress`: the address, or `undefined` if that daemon failed or never came. */
export async function readPublishedAddress(file: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const address = fs.readFileSync(file, "utf8").trim();
      if (address === NO_ADDRESS) return undefined;
      if (address !== "") return address;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Exit code of a daemon ended by an error it did not handle (a bug): EX_SOFTWARE. */
export const FATAL_EXIT_CODE = 70;

const fatalCleanups: (() => void)[] = [];

/**
 * What every daemon sets up first. Its stdout and stderr are pipes to the process that
 * started it; when that process dies, writing to them fails (EPIPE), which must not end
 * the daemon: it has its own exit to run. And an error it did not handle (an uncaught
 * exception, an unhandled rejection) is logged to its log file (stderr may lead nowhere)
 * and ends it only after the cleanups registered with `onFatalExit` ran.
 */
export function guardDaemonProcess(log: Logger): void {
  // Output to a parent that is gone is dropped; the log file keeps what matters.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const fatal = (what: string, error: unknown): void => {
    log.error(`${what}, exiting: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    runFatalCleanups(log);
    process.exit(FATAL_EXIT_CODE);
  };
  process.on("uncaughtException", (e) => fatal("uncaught exception", e));
  process.on("unhandledRejection", (e) => fatal("unhandled rejection", e));
}

/**
 * Registers synchronous cleanup (files in /dev/shm, spill folders) that a fatal error runs
 * before the daemon exits; a normal stop runs its own, asynchronous cleanup instead.
 */
export function onFatalExit(cleanup: () => void): void {
  fatalCleanups.push(cleanup);
}

/**
 * The daemon's way out: `close` runs once, however many ask (SIGTERM, which this
 * registers; the parent gone; the control service gone), then the process exits: 0, or 1
 * after the fatal cleanups when closing failed. The promise it returns never rejects.
 */
export function daemonStop(log: Logger, close: () => Promise<void>): () => Promise<void> {
  let exiting: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (exiting ??= close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`closing failed, exiting: ${(e as Error).message}`);
        runFatalCleanups(log);
        process.exit(1);
      },
    ));
  process.on("SIGTERM", () => {
    stop().catch(() => undefined); // it exits instead of rejecting
  });
  return stop;
}

function runFatalCleanups(log: Logger): void {
  for (const cleanup of fatalCleanups.splice(0)) {
    try {
      cleanup();
    } catch (e) {
      log.error(`cleanup before exiting failed: ${(e as Error).message}`);
    }
  }
}
