/** `lux start --block`: the command stays in the foreground as long as its daemons run. */
import { forgetDaemon, type DaemonHandle } from "@lux/launcher";
import { CliError } from "./errors.js";

/**
 * `--block`: waits for SIGTERM or SIGINT, then stops the daemons (newest first); if one of
 * them exits first, stops the others and fails with its exit.
 */
export async function blockUntilStopped(daemons: DaemonHandle[]): Promise<void> {
  let signalled = false;
  let wake: () => void = () => undefined;
  const signal = new Promise<void>((resolve) => (wake = resolve));
  const onSignal = (): void => {
    signalled = true;
    wake();
  };
  process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
  const exited = Promise.race(daemons.map((d) => d.waitExit().then((exit) => ({ d, exit }))));
  const first = await Promise.race([signal.then(() => undefined), exited]);
  process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
  for (const d of [...daemons].reverse()) {
    await d.stop();
    forgetDaemon(d);
  }
  if (!signalled && first !== undefined) {
    throw new CliError(`the ${first.d.kind} (pid ${first.d.pid}) exited (${first.exit.signal ?? `code ${first.exit.code}`}); stopped the others`);
  }
}

