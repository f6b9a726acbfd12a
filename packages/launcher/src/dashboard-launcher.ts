/**
 * Starts the head's HTTP server (dashboard, state routes, jobs API: @lux/dashboard) as a
 * daemon. Its script is found at run time: @lux/dashboard sits above `lux` (it reads the
 * cluster through `lux.state`), so this package cannot declare it.
 */
import { fileURLToPath } from "node:url";
import { LuxError } from "@lux/common";
import { startDaemon, type CommonDaemonOptions, type DaemonHandle } from "./node-launcher.js";

export interface DashboardOptions extends CommonDaemonOptions {
  /** The control service it reads. */
  gcsAddress: string;
  /** Where it listens, "HOST:PORT" (PORT 0: a free port). */
  address: string;
}

function dashboardMain(): string {
  try {
    return fileURLToPath(import.meta.resolve("@lux/dashboard/main"));
  } catch (e) {
    throw new LuxError(`the dashboard is not installed (@lux/dashboard): ${(e as Error).message}`);
  }
}

/** Starts the dashboard; resolves once it listens (its handle's `address` is HOST:PORT). */
export function startDashboard(opts: DashboardOptions): Promise<DaemonHandle> {
  const args = ["--address", opts.address, "--gcs-address", opts.gcsAddress];
  if (opts.exitWithParent === true) args.push("--exit-with-parent");
  if (opts.logFile !== undefined) args.push("--log-file", opts.logFile);
  return startDaemon("dashboard", dashboardMain(), args, opts);
}
