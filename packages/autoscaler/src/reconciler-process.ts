/** The reconciler process's setup: its config, its provider and its link to the control service. */
import { InvalidClusterConfigError, createLogger } from "@lux/common";
import { loadClusterConfig, type ClusterConfig } from "./cluster-config.js";
import { GcsControl } from "./control-client.js";
import { createProvider } from "./providers.js";
import { Reconciler } from "./reconciler.js";

const log = createLogger("autoscaler");

export interface ReconcilerProcessOptions {
  configFile: string;
  gcsAddress: string;
  token: string;
}

/** Starts the loop; resolves with a handle whose close() stops it (the nodes keep running). */
export async function runReconciler(opts: ReconcilerProcessOptions): Promise<{ close(): Promise<void> }> {
  let config: ClusterConfig;
  try {
    config = loadClusterConfig(opts.configFile);
  } catch (e) {
    log.error(e instanceof InvalidClusterConfigError ? e.message : `cannot read ${opts.configFile}: ${(e as Error).message}`);
    process.exit(2);
  }
  const provider = await createProvider(config, opts.gcsAddress, opts.token);
  const control = new GcsControl(opts.gcsAddress, opts.token);
  const reconciler = new Reconciler({ config, provider, control });
  reconciler.start();
  log.info(`autoscaling cluster ${config.clusterName} (${config.provider.type} provider): node types ${Object.keys(config.availableNodeTypes).join(", ")}, every ${config.reconcileIntervalMs} ms`);
  return {
    close: async () => {
      await reconciler.close();
      await provider.close();
      control.close();
    },
  };
}
