import type { CoreWorkerService, GcsService, JobInfo, RayletService, ReconnectingConnection, RpcConnection } from "@lux/protocol";
import { ClusterLostError, controlServiceStateLost, createLogger, type ConfigValues } from "@lux/common";
import type { ActorCreator } from "./actor-creator.js";
import type { CoreWorkerMode } from "./core-worker-start.js";
import type { DefinitionExporter } from "./definition-exporter.js";

const log = createLogger("core");

export interface ClusterWatcherDeps {
  /** The control service, reconnected to when lost (see connectControlService). */
  gcs: ReconnectingConnection<GcsService, CoreWorkerService>;
  /** This node's raylet. */
  raylet: RpcConnection<RayletService, CoreWorkerService>;
  mode: CoreWorkerMode;
  /** Where the control service listens, for the warning that its state is gone. */
  gcsAddress: string;
  /** A driver's job, registered again after each reconnect; undefined in a worker. */
  job: JobInfo | undefined;
  /** The control service's incarnation when this process registered. */
  incarnation: string;
  /** Exported definitions, exported again if the control service lost them. */
  definitions: Pick<DefinitionExporter, "exportAgain">;
  /** Actor creations in flight, sent again if the control service lost them. */
  actorCreations: Pick<ActorCreator, "createAgain">;
  /** Called for every node the control service declares dead. */
  nodeDied: (nodeId: string) => void;
  /** The raylet or the control service is lost for good: what is pending, and what comes later, fails with `error`. */
  lost: (error: ClusterLostError) => void;
  config: Pick<ConfigValues, "rpcRegisterTimeoutMs">;
}

/**
 * Keeps a core worker in step with the cluster services it depends on. Across the control
 * service's reconnects and restarts a driver registers its job again before waiting calls
 * go through, node deaths are subscribed to again, and a restart that lost the service's
 * state is said loudly; when the raylet or the control service is lost for good, what is
 * pending fails instead of hanging.
 */
export class ClusterWatcher {
  private current: string;
  private closed = false;
  private gone = false;

  constructor(private readonly deps: ClusterWatcherDeps) {
    this.current = deps.incarnation;
  }

  /** Subscribes to node deaths now and after every reconnect, and watches for the loss of either service. */
  watch(): void {
    const { gcs, raylet, job, config } = this.deps;
    raylet.onClose(() => this.lost("raylet", raylet.peer));
    gcs.onClose(() => this.lost("control service", gcs.peer));
    gcs.onReconnect(async (conn) => {
      if (job !== undefined) await conn.call("registerJob", job, config.rpcRegisterTimeoutMs);
      const info = await conn.call("getControlServiceInfo", {});
      if (info.incarnation !== this.current && !info.persistent) {
        // Restarted with in-memory storage: its state is gone. What this process still needs
        // of it goes back before the calls waiting for it do (a failure here is retried).
        await this.deps.definitions.exportAgain(conn);
        await this.deps.actorCreations.createAgain(conn);
        if (this.deps.mode === "driver") log.warn(controlServiceStateLost(this.deps.gcsAddress));
        else log.info(controlServiceStateLost(this.deps.gcsAddress));
      } else {
        log.info(info.incarnation === this.current ? "reconnected to the control service" : `reconnected to the restarted control service (state restored from ${info.storage})`);
      }
      this.current = info.incarnation;
    });
    gcs.onReconnected(() => this.subscribeNodeDeaths());
    this.subscribeNodeDeaths();
  }

  /** The core worker is closing: its connections end on purpose, nothing is lost. */
  close(): void {
    this.closed = true;
  }

  /** Hears of dead nodes from the control service, to re-create owned objects lost with them. */
  private subscribeNodeDeaths(): void {
    this.deps.gcs.call("subscribeNodeDeaths", {}, this.deps.config.rpcRegisterTimeoutMs).then(
      ({ deadNodeIds }) => {
        for (const nodeId of deadNodeIds) this.deps.nodeDied(nodeId);
      },
      (e: unknown) => {
        if (!this.closed) log.warn(`could not subscribe to node deaths: ${(e as Error).message}`);
      },
    );
  }

  /**
   * The raylet or control service went away (its connection closed, or the control service
   * declared this process's node dead): fail what is pending instead of hanging. Only the
   * first loss counts: the raylet's is terminal.
   */
  lost(component: string, address: string): void {
    if (this.closed || this.gone) return;
    this.gone = true;
    const error = new ClusterLostError({ component, address });
    log.error(error.message);
    this.deps.lost(error);
  }
}
