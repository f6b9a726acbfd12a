import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { removeTokenFile } from "@lux/common";
import { makeSessionDir, nodeResources, startControlService, startRaylet, type DaemonHandle } from "./node-launcher.js";

export { readTokenFile } from "@lux/common";

export interface PrivateClusterOptions {
  numCpus: number;
  numGpus: number;
  resources: Record<string, number>;
  objectStoreMemory: number | undefined;
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
    const token = randomBytes(24).toString("hex");
    const sessionDir = makeSessionDir();
    const gcs = await startControlService({
      token,
      exitWithParent: true,
      writeTokenFile: true,
      logFile: path.join(sessionDir, "logs", "gcs.log"),
    });
    let raylet: DaemonHandle;
    try {
      raylet = await startRaylet({
        token,
        gcsAddress: gcs.address,
        resources: nodeResources(opts),
        ...(opts.objectStoreMemory !== undefined ? { objectStoreMemory: opts.objectStoreMemory } : {}),
        exitWithParent: true,
        logFile: path.join(sessionDir, "logs", "raylet.log"),
        sessionDir,
      });
    } catch (e) {
      await gcs.stop();
      throw e;
    }
    return new PrivateCluster(token, sessionDir, gcs, raylet);
  }

  async stop(): Promise<void> {
    // The control service also removes its token file as it exits (even when we are killed).
    removeTokenFile(this.gcsAddress);
    await this.raylet.stop();
    await this.gcs.stop();
  }
}
