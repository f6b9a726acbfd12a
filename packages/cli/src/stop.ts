/**
 * `lux stop`: every daemon `lux start` started on this machine: the autoscaler first (it
 * would start nodes again) and the dashboard, then raylets, then the control service.
 */
import { config } from "@lux/common";
import { forgetDaemon, isRecordedDaemon, liveDaemons, type DaemonRecord } from "@lux/launcher";

export async function stop(): Promise<void> {
  const daemons = liveDaemons();
  const raylets = daemons.filter((d) => d.kind === "raylet");
  const gcs = daemons.filter((d) => d.kind === "gcs");
  await stopAll(daemons.filter((d) => d.kind === "autoscaler" || d.kind === "dashboard"));
  await stopAll(raylets);
  await stopAll(gcs);
  process.stdout.write(daemons.length === 0 ? "No Lux processes were running.\n" : `Stopped ${daemons.length} Lux process(es).\n`);
}

/** SIGTERM to each, SIGKILL to those still running after daemonStopGraceMs; forgets them. */
export async function stopAll(daemons: DaemonRecord[]): Promise<void> {
  for (const d of daemons) signal(d, "SIGTERM");
  const graceMs = config("daemonStopGraceMs");
  const deadline = Date.now() + graceMs;
  let running = daemons.filter(isRecordedDaemon);
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    running = running.filter(isRecordedDaemon);
  }
  for (const d of running) {
    process.stderr.write(`lux: ${d.kind} (pid ${d.pid}) did not stop within ${graceMs} ms; killing it\n`);
    signal(d, "SIGKILL");
  }
  for (const d of daemons) forgetDaemon(d);
}

function signal(d: DaemonRecord, sig: NodeJS.Signals): void {
  // Checked right before the kill: the pid must still be the daemon we started.
  if (!isRecordedDaemon(d)) return;
  try {
    process.kill(d.pid, sig);
  } catch {
    // It exited meanwhile.
  }
}
