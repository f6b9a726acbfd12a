/**
 * Runs the machine's `npm install` for a runtime env: into a folder of its own (`--prefix`),
 * without touching a package.json or lock file, without audit or funding requests, and with
 * install scripts off unless the env allows them. npm runs in a process group of its own so
 * that a timeout or the raylet's close stops it and every script it started.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Clock } from "@lux/protocol";

export interface NpmInstallRequest {
  /** The folder npm installs into (its node_modules is made there). */
  prefix: string;
  specs: readonly string[];
  allowScripts: boolean;
  /** npm is stopped after this long. */
  timeoutMs: number;
}

/** How an install ended; `output`: the end of npm's stderr. */
export type NpmInstallResult = { ok: true } | { ok: false; reason: string; output: string };

/** Installs packages; resolves when npm has ended (or was stopped: `signal` aborted, or its time ran out). */
export type NpmInstaller = (req: NpmInstallRequest, signal: AbortSignal) => Promise<NpmInstallResult>;

/** stderr kept (its end), enough for npm's error block. */
const OUTPUT_KEEP_CHARS = 64 * 1024;
/** Lines of npm's stderr an error message shows. */
const OUTPUT_TAIL_LINES = 25;

/** The arguments of `npm` for a request. */
export function npmInstallArgs(prefix: string, specs: readonly string[], allowScripts: boolean): string[] {
  const args = ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--no-update-notifier"];
  if (!allowScripts) args.push("--ignore-scripts");
  return [...args, "--prefix", prefix, ...specs];
}

/** The last `lines` lines of `text` (without trailing blank lines). */
export function outputTail(text: string, lines = OUTPUT_TAIL_LINES): string {
  const all = text.replace(/\s+$/, "").split("\n");
  return all.slice(-lines).join("\n");
}

/** The npm that comes with the Node.js running this raylet, else the one on PATH. */
export function npmCommand(): string {
  const beside = path.join(path.dirname(process.execPath), "npm");
  return fs.existsSync(beside) ? beside : "npm";
}

/** Runs the real `npm` (see npmInstallArgs); `clock` times it. */
export function systemNpmInstaller(clock: Clock, command = npmCommand()): NpmInstaller {
  return (req, signal) =>
    new Promise((resolve) => {
      const child = spawn(command, npmInstallArgs(req.prefix, req.specs, req.allowScripts), {
        cwd: req.prefix,
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
      });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (text: string) => {
        stderr = (stderr + text).slice(-OUTPUT_KEEP_CHARS);
      });
      let stopped: string | undefined;
      const stop = (why: string): void => {
        if (stopped !== undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        stopped = why;
        try {
          process.kill(-child.pid, "SIGKILL"); // the group: npm and the scripts it runs
        } catch {
          child.kill("SIGKILL");
        }
      };
      const timer = clock.setTimeout(() => stop(`npm did not finish within ${req.timeoutMs} ms and was stopped`), req.timeoutMs);
      const onAbort = (): void => stop("the raylet is shutting down");
      signal.addEventListener("abort", onAbort, { once: true });
      let finished = false;
      const done = (result: NpmInstallResult): void => {
        if (finished) return; // a failed spawn may report both "error" and "close"
        finished = true;
        timer.cancel();
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      child.on("error", (e: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return; // a failed kill; the exit follows
        const missing = e.code === "ENOENT";
        done({
          ok: false,
          reason: missing ? `npm was not found (${command}): install Node.js with npm on this node, or put npm on the raylet's PATH` : `npm could not be started: ${e.message}`,
          output: "",
        });
      });
      child.on("close", (code, sig) => {
        if (stopped !== undefined) done({ ok: false, reason: stopped, output: outputTail(stderr) });
        else if (code === 0) done({ ok: true });
        else done({ ok: false, reason: `npm install exited with ${code !== null ? `code ${code}` : sig}`, output: outputTail(stderr) });
      });
      if (signal.aborted) onAbort();
    });
}
