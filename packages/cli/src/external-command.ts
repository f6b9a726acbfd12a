/**
 * Commands of other packages, git-style: `lux serve …` runs the `lux-serve` executable that
 * `@lux/serve` installs, with the same arguments, so `lux` itself never imports the library
 * (and its other commands start no faster or slower with it installed). Found in
 * `node_modules/.bin` from the current directory up, then from this package's own place up
 * (a global or workspace install), then on PATH.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./errors.js";

/** Commands provided by packages of their own, and the package to install for each. */
export const EXTERNAL_COMMANDS: Readonly<Record<string, string>> = { serve: "@lux/serve" };

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function upward(from: string, name: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", ".bin", name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Where the executable `lux-<command>` is, if anywhere. */
export function findExternal(command: string): string | undefined {
  const name = `lux-${command}`;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const found = upward(process.cwd(), name) ?? upward(here, name);
  if (found !== undefined) return found;
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    if (dir !== "" && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Runs `lux-<command> args…` in the foreground (signals passed on); resolves with its exit code. */
export async function runExternal(command: string, args: readonly string[]): Promise<number> {
  const found = findExternal(command);
  if (found === undefined) {
    const pkg = EXTERNAL_COMMANDS[command];
    throw new CliError(`lux ${command} comes with ${pkg ?? `a package providing lux-${command}`}: install it (npm install ${pkg ?? `lux-${command}`}) in this project`, 1);
  }
  const bin = realpathSync(found);
  // A JavaScript bin runs under this Node, with this process's flags (a loader such as tsx).
  const js = /\.(?:m?js|cjs)$/.test(bin) || !executable(bin);
  const child = spawn(js ? process.execPath : bin, js ? [...process.execArgv, bin, ...args] : [...args], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", (e) => reject(new CliError(`could not run ${bin}: ${e.message}`, 1)));
      child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 + (signalNumber(signal) ?? 1) : 1)));
    });
  } finally {
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}
