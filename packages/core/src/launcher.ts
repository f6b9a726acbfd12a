/**
 * The seam between `lux.init()` and process supervision. Core starts no daemons itself and
 * does not depend on @lux/launcher, @lux/gcs or @lux/raylet: the `lux` package registers
 * @lux/launcher's implementation here when it is imported, so `lux.init()` from "lux" can
 * start a private cluster, and `lux.init()` from @lux/core alone fails with NoLauncherError.
 */
import { fileURLToPath } from "node:url";
import { NoLauncherError, type SystemConfig } from "@lux/common";
import type { JobInfo } from "@lux/protocol";

/** The script raylets run as workers: core's worker entry. */
export const workerMainPath = fileURLToPath(new URL("./worker-main.js", import.meta.url));

/** What `lux.init()` asks of a private cluster. */
export interface PrivateClusterOptions {
  /** The script the node's workers run (`workerMainPath`). */
  workerMain: string;
  numCpus: number;
  /** Undefined: the GPUs nvidia-smi finds on this machine. */
  numGpus: number | undefined;
  resources: Record<string, number>;
  /** The node's labels (`lux.init({ labels })`). */
  labels?: Record<string, string> | undefined;
  objectStoreMemory: number | undefined;
  /** The driver's job: its first worker starts while the cluster does. */
  prestartJob?: Pick<JobInfo, "jobId" | "namespace" | "execArgv" | "cwd" | "env">;
  /** Config entries for the cluster's daemons (`lux.init({ systemConfig })`). */
  config?: SystemConfig;
}

/** A running private cluster: a control service and one raylet, stopped with the driver. */
export interface PrivateClusterHandle {
  readonly token: string;
  readonly gcsAddress: string;
  readonly rayletAddress: string;
  stop(): Promise<void>;
}

/** What `lux.init()` needs from process supervision (implemented by @lux/launcher's `initLauncher`). */
export interface ClusterLauncher {
  startPrivateCluster(options: PrivateClusterOptions): Promise<PrivateClusterHandle>;
  /** The control service of the newest cluster `lux start` started on this machine. */
  autoAddress(): string | undefined;
}

let registered: ClusterLauncher | undefined;

/** Registers the launcher `lux.init()` uses; the `lux` package calls this once, at import. */
export function setClusterLauncher(launcher: ClusterLauncher): void {
  registered = launcher;
}

/** The registered launcher; throws NoLauncherError, naming `need`, when there is none. */
export function clusterLauncher(need: string): ClusterLauncher {
  if (registered === undefined) throw new NoLauncherError({ need });
  return registered;
}
