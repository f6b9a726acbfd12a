/** Helpers for Lux daemon processes (control service, raylet, workers). */
import * as fs from "node:fs";

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
    void Promise.resolve(stop()).finally(() => process.exit(0));
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
