/**
 * The process between a job's supervisor and its entrypoint, run as `node -e WATCHDOG_SOURCE
 * GRACE_MS SHELL COMMAND` with an IPC channel to the supervisor. It starts `SHELL -c COMMAND` in a
 * process group of its own, its output straight into the watchdog's stdout and stderr (the
 * supervisor's pipes). It stops the whole group (SIGTERM, then SIGKILL after GRACE_MS) when the
 * supervisor asks ("stop") or dies (the channel closes: a killed worker cannot clean up, and
 * the entrypoint must not outlive it), and after the entrypoint exits if processes it left in
 * its group still run. It reports `{ started: pid }`, then `{ exit: { code, signal, stopped } }`
 * or `{ error }`, and exits once no process of the group is left.
 *
 * Source text rather than a file beside this module: the supervisor's node may have the
 * dashboard installed elsewhere, or its code may arrive as source; `node -e` always works.
 */
export const WATCHDOG_SOURCE = String.raw`
"use strict";
const { spawn } = require("node:child_process");
const { constants } = require("node:os");
const [graceText, shell, command] = process.argv.slice(1);
const graceMs = Number(graceText);
const child = spawn(shell, ["-c", command], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;
let killTimer;
const group = (signal) => {
  try { process.kill(-child.pid, signal); } catch {}
};
const groupAlive = () => {
  try { process.kill(-child.pid, 0); return true; } catch { return false; }
};
const send = (message, then) => {
  if (process.connected) process.send(message, () => then());
  else then();
};
const stop = () => {
  if (stopping) return;
  stopping = true;
  group("SIGTERM");
  killTimer = setTimeout(() => group("SIGKILL"), graceMs);
};
const whenGroupGone = (then) => {
  if (!groupAlive()) return then();
  const poll = setInterval(() => {
    if (groupAlive()) return;
    clearInterval(poll);
    then();
  }, 25);
};
child.once("spawn", () => send({ started: child.pid }, () => {}));
child.once("error", (e) => send({ error: e.message }, () => process.exit(1)));
child.once("exit", (code, signal) => {
  const stopped = stopping;
  const exitCode = code !== null ? code : 128 + (constants.signals[signal] || 0);
  // Processes the entrypoint left in its group end with it.
  if (groupAlive()) stop();
  whenGroupGone(() => {
    clearTimeout(killTimer);
    send({ exit: { code: exitCode, signal, stopped } }, () => process.exit(0));
  });
});
process.on("message", (m) => { if (m === "stop") stop(); });
process.on("disconnect", stop);
process.on("SIGTERM", stop);
`;
