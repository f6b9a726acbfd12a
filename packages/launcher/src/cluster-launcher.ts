import * as path from "node:path";
import { newClusterToken, publishAddress, removeTokenFile, type SystemConfig } from "@lux/common";
import { autoAddress } from "./daemon-registry.js";
import { makeSessionDir, nodeResources, startControlService, startRaylet, type DaemonHandle, type RayletOptions } from "./node-launcher.js";

export interface PrivateClusterOptions {
  /** The script the raylet's workers run. */
  workerMain: string;
  numCpus: number;
  /** Undefined: the GPUs nvidia-smi finds. */
  numGpus?: number | undefined;
  resources: Record<string, number>;
  /** The node's labels. */
  labels?: Record<string, string> | undefined;
  objectStoreMemory: number | undefined;
  /** The driver's job: its first worker starts while the cluster does. */
  prestartJob?: RayletOptions["prestartJob"];
  /** Config entries for the control service and the raylet (`lux.init({ systemConfig })`). */
  config?: SystemConfig;
}

/**
 * A cluster private to one driver: the control service and one raylet as child
 * processes. They watch their stdin, so they exit even if the driver is SIGKILLed.
 */
export class PrivateCluster {
  private constructor(
    readonly token: string,
    readonly sessionDir: string,
    private readonly gcs: DaemonHandle,
    private readonly raylet: DaemonHandle,
  ) {}

  get gcsAddress(): string {
    return this.gcs.address;
  }

  get rayletAddress(): string {
    return this.raylet.address;
  }

  pids(): number[] {
    return [this.gcs.pid, this.raylet.pid];
  }

  static async start(opts: PrivateClusterOptions): Promise<PrivateCluster> {
    const token = newClusterToken();
    const sessionDir = makeSessionDir();
    // Both start at once: the raylet boots while the control service does, and learns its
    // address from a file (startup is most of lux.init()).
    const gcsAddressFile = path.join(sessionDir, "gcs_address");
    const starting = startControlService({
      token,
      exitWithParent: true,
      writeTokenFile: true,
      logFile: path.join(sessionDir, "logs", "gcs.log"),
      ...(opts.config !== undefined ? { config: opts.config } : {}),
    }).then(
      (gcs) => {
        publishAddress(gcsAddressFile, gcs.address);
        return gcs;
      },
      (e: unknown) => {
        publishAddress(gcsAddressFile, undefined); // the waiting raylet exits now
        throw e;
      },
    );
    const rayletStarting = startRaylet({
      token,
      gcsAddress: { file: gcsAddressFile },
      workerMain: opts.workerMain,
      resources: nodeResources(opts),
      ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
      ...(opts.objectStoreMemory !== undefined ? { objectStoreMemory: opts.objectStoreMemory } : {}),
      exitWithParent: true,
      logFile: path.join(sessionDir, "logs", "raylet.log"),
      sessionDir,
      ...(opts.prestartJob !== undefined ? { prestartJob: opts.prestartJob } : {}),
      ...(opts.config !== undefined ? { config: opts.config } : {}),
    });
    const [gcs, raylet] = await Promise.allSettled([starting, rayletStarting]);
    if (gcs.status === "fulfilled" && raylet.status === "fulfilled") return new PrivateCluster(token, sessionDir, gcs.value, raylet.value);
    // One failed: stop the other, report the first failure.
    await Promise.all([gcs, raylet].map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    throw (gcs.status === "rejected" ? gcs.reason : (raylet as PromiseRejectedResult).reason) as Error;
  }

  async stop(): Promise<void> {
    // The control service also removes its token file as it exits (even when we are killed).
    removeTokenFile(this.gcsAddress);
    await this.raylet.stop();
    await this.gcs.stop();
  }
}

/**
 * What `lux.init()` needs of this package: a private cluster, or the cluster `lux start`
 * started on this machine. Core does not depend on this package; the `lux` package hands
 * this to core (`setClusterLauncher` of `@lux/core/internal`) when it is imported.
 */
export const initLauncher = {
  startPrivateCluster: (opts: PrivateClusterOptions): Promise<PrivateCluster> => PrivateCluster.start(opts),
  autoAddress,
};
