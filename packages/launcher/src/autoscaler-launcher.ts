/**
 * Starts the autoscaler (@lux/autoscaler's supervised reconciler) as a head daemon. Its script
 * is found at run time: @lux/autoscaler sits above this package (it uses its control-service
 * client), so this package cannot declare it.
 */
import { fileURLToPath } from "node:url";
import { LuxError } from "@lux/common";
import { startDaemon, type CommonDaemonOptions, type DaemonHandle } from "./node-launcher.js";

export interface AutoscalerOptions extends CommonDaemonOptions {
  /** The control service it reads. */
  gcsAddress: string;
  /** The cluster YAML (checked already). */
  configFile: string;
}

function autoscalerMain(): string {
  try {
    return fileURLToPath(import.meta.resolve("@lux/autoscaler/main"));
  } catch (e) {
    throw new LuxError(`the autoscaler is not installed (@lux/autoscaler): ${(e as Error).message}`);
  }
}

/** Starts the autoscaler; resolves once its reconciler runs (its handle's `address` is the control service's). */
export function startAutoscaler(opts: AutoscalerOptions): Promise<DaemonHandle> {
  const args = ["--config", opts.configFile, "--gcs-address", opts.gcsAddress];
  if (opts.exitWithParent === true) args.push("--exit-with-parent");
  if (opts.logFile !== undefined) args.push("--log-file", opts.logFile);
  return startDaemon("autoscaler", autoscalerMain(), args, opts);
}
