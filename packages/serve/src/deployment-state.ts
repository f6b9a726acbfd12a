/**
 * One deployment in the controller: its target (spec and replica count), its replicas, and
 * the reconciling pass that moves the second toward the first. A new version rolls: new
 * replicas start, and an old one stops only once a new one runs (capacity never drops below
 * the target); stopping ones leave the routes first, then finish their requests. A change of
 * userConfig alone reconfigures the running replicas in place. Failed health checks and
 * dead replicas are replaced.
 */
import * as lux from "lux";
import { DemandSamples, decideReplicas, newScalingState, type ScalingState } from "./autoscaling.js";
import {
  checkReplicaHealth,
  configKey,
  createReplica,
  failureOf,
  initializeReplica,
  killReplica,
  replicaRef,
  stopReplica,
  type ReplicaRecord,
} from "./replica-record.js";
import type { DeploymentRoutes, DeploymentSpec, DeploymentStatus, DeploymentStatusInfo } from "./specs.js";

/** Tries of a version's replicas that fail in a row before the deployment is DEPLOY_FAILED. */
const START_TRIES = 3;
/** How long routers may take to stop using a stopping replica before it drains anyway. */
const ACK_WAIT_MS = 5_000;

/** What a deployment needs from its controller. */
export interface DeploymentHost {
  now(): number;
  /** Publishes the deployment's routes; returns the version routers must reach. */
  publish(key: string, routes: DeploymentRoutes): number;
  acknowledged(key: string, version: number): boolean;
  /** The state changed: save it (debounced by the controller). */
  changed(): void;
  wait(ms: number): Promise<void>;
}

export class DeploymentState {
  readonly replicas = new Map<string, ReplicaRecord>();
  target: number;
  private failures = 0;
  private failedMessage: string | undefined;
  private unhealthyMessage: string | undefined;
  private readonly scaling: ScalingState = newScalingState();
  readonly demand = new DemandSamples();
  private publishedIds = "";
  /** The current version once reached its target: later changes of the target are UPSCALING/DOWNSCALING, not UPDATING. */
  private reached = false;
  deleting = false;

  constructor(
    readonly app: string,
    public spec: DeploymentSpec,
    private readonly key: string,
    private readonly host: DeploymentHost,
  ) {
    this.target = spec.options.numReplicas;
  }

  /** A redeploy: same version keeps replicas (reconfigured, rescaled); another one rolls. */
  deploy(spec: DeploymentSpec): void {
    const old = this.spec;
    this.spec = spec;
    this.deleting = false;
    if (spec.version !== old.version) {
      this.reached = false;
      this.failures = 0;
      this.failedMessage = undefined;
    }
    const scaledBefore = old.options.autoscalingConfig !== undefined;
    const scaled = spec.options.autoscalingConfig;
    if (scaled === undefined) this.target = spec.options.numReplicas;
    else if (!scaledBefore) this.target = spec.options.numReplicas;
    else this.target = Math.min(scaled.maxReplicas, Math.max(scaled.minReplicas, this.target));
    this.publish(true);
    this.host.changed();
  }

  /** Marks the deployment for deletion: its replicas stop, then the app forgets it. */
  delete(): void {
    this.deleting = true;
    this.target = 0;
    this.publish(true);
  }

  get done(): boolean {
    return this.deleting && this.replicas.size === 0;
  }

  /** One pass of the control loop. */
  reconcile(): void {
    const now = this.host.now();
    this.autoscale(now);
    for (const r of this.replicas.values()) {
      if (r.state === "RUNNING" && !r.busy) this.maintain(r, now);
    }
    this.scale();
    this.publish(false);
  }

  /** A router saw the replica die: replace it now rather than at its next health check. */
  replicaDied(replicaId: string, reason = "its process died"): void {
    const r = this.replicas.get(replicaId);
    if (r === undefined || r.state === "STOPPING") return;
    this.unhealthyMessage = `replica ${replicaId} ${reason}; starting a replacement`;
    r.state = "STOPPING";
    this.publish(false);
    void killReplica(r).finally(() => this.forget(r));
  }

  routes(): DeploymentRoutes {
    const running = [...this.replicas.values()].filter((r) => r.state === "RUNNING");
    return {
      replicas: running.map(replicaRef),
      maxOngoingRequests: this.spec.options.maxOngoingRequests,
      maxQueuedRequests: this.spec.options.maxQueuedRequests,
      ...(this.spec.options.autoscalingConfig !== undefined ? { metricsIntervalMs: this.spec.options.autoscalingConfig.metricsIntervalMs } : {}),
      ...(this.deleting ? { deleted: true } : {}),
    };
  }

  status(): DeploymentStatusInfo {
    const states: Record<string, number> = {};
    for (const r of this.replicas.values()) states[r.state] = (states[r.state] ?? 0) + 1;
    const [status, message] = this.statusNow();
    return {
      name: this.spec.name,
      status,
      message,
      replicaStates: states,
      targetReplicas: this.target,
      replicas: [...this.replicas.values()].map((r) => ({ replicaId: r.id, state: r.state, pid: r.pid, nodeId: r.nodeId, version: r.version })),
    };
  }

  private statusNow(): [DeploymentStatus, string] {
    if (this.failedMessage !== undefined) return ["DEPLOY_FAILED", this.failedMessage];
    const current = [...this.replicas.values()].filter((r) => r.version === this.spec.version);
    const running = current.filter((r) => r.state === "RUNNING");
    const settled =
      running.length === this.target &&
      this.replicas.size === this.target &&
      running.every((r) => r.userConfig === configKey(this.spec.options.userConfig) && !r.busy);
    if (settled) {
      this.unhealthyMessage = undefined;
      this.reached = true;
      return ["HEALTHY", ""];
    }
    if (this.unhealthyMessage !== undefined) return ["UNHEALTHY", this.unhealthyMessage];
    if (this.spec.options.autoscalingConfig !== undefined && this.reached && current.length === this.replicas.size) {
      return running.length < this.target ? ["UPSCALING", `scaling up to ${this.target} replicas`] : ["DOWNSCALING", `scaling down to ${this.target} replicas`];
    }
    return ["UPDATING", `${running.length} of ${this.target} replicas of the new version running`];
  }

  private autoscale(now: number): void {
    const config = this.spec.options.autoscalingConfig;
    if (config === undefined || this.deleting || this.failedMessage !== undefined) return;
    const current = this.target;
    const demand = this.demand.average(now, config.lookBackPeriodMs);
    const next = decideReplicas(config, this.scaling, now, current, demand);
    if (next !== current) {
      this.target = next;
      this.host.changed();
    }
  }

  /** Health check when due; a userConfig to apply. */
  private maintain(r: ReplicaRecord, now: number): void {
    const wanted = configKey(this.spec.options.userConfig);
    if (r.version === this.spec.version && r.userConfig !== wanted) {
      r.busy = true;
      lux.get(r.actor.reconfigure.remote(this.spec.options.userConfig)).then(
        () => {
          r.busy = false;
          r.userConfig = wanted;
          this.host.changed();
        },
        (e: unknown) => {
          r.busy = false;
          this.replicaDied(r.id, `failed to reconfigure (${failureOf(e)})`);
        },
      );
      return;
    }
    if (now < r.nextHealthCheckAt) return;
    r.busy = true;
    checkReplicaHealth(r, this.spec.options.healthCheckTimeoutMs).then(
      () => {
        r.busy = false;
        r.nextHealthCheckAt = this.host.now() + this.spec.options.healthCheckPeriodMs;
      },
      (e: unknown) => {
        r.busy = false;
        this.replicaDied(r.id, `failed its health check (${failureOf(e)})`);
      },
    );
  }

  /** Starts and stops replicas toward the target, rolling old versions out. */
  private scale(): void {
    const all = [...this.replicas.values()];
    const version = this.spec.version;
    for (const r of all) if (r.version !== version && r.state === "STARTING") this.stop(r, 0);
    const current = all.filter((r) => r.version === version && r.state !== "STOPPING");
    const currentRunning = current.filter((r) => r.state === "RUNNING").length;
    const oldRunning = all.filter((r) => r.version !== version && r.state === "RUNNING");
    const want = this.target;
    if (this.failedMessage === undefined && !this.deleting) {
      const surge = oldRunning.length > 0 ? Math.max(1, Math.ceil(want / 4)) : 0;
      const room = Math.min(want - current.length, want + surge - current.length - oldRunning.length);
      for (let i = 0; i < room; i++) this.start();
    }
    // An old replica goes only once the new ones running (with the old) exceed the target.
    let surplus = currentRunning + oldRunning.length - want;
    for (const r of oldRunning) {
      if (surplus-- <= 0) break;
      this.stop(r, this.spec.options.gracefulShutdownTimeoutMs);
    }
    let extra = current.length - want;
    const byNewest = [...current].sort((a, b) => (a.state === "STARTING" ? -1 : 0) - (b.state === "STARTING" ? -1 : 0));
    for (const r of byNewest) {
      if (extra-- <= 0) break;
      this.stop(r, r.state === "RUNNING" ? this.spec.options.gracefulShutdownTimeoutMs : 0);
    }
  }

  private start(): void {
    let r: ReplicaRecord;
    try {
      r = createReplica(this.app, this.spec);
    } catch (e) {
      this.failedMessage = `its replicas cannot be created: ${failureOf(e)}`;
      return;
    }
    this.replicas.set(r.id, r);
    this.host.changed();
    initializeReplica(r).then(
      () => {
        if (r.state !== "STARTING") return;
        r.state = "RUNNING";
        r.nextHealthCheckAt = this.host.now() + this.spec.options.healthCheckPeriodMs;
        if (r.version === this.spec.version) this.failures = 0;
        this.publish(false);
        this.host.changed();
      },
      (e: unknown) => {
        if (r.version === this.spec.version && ++this.failures >= START_TRIES) {
          this.failedMessage = `a replica failed to start ${this.failures} times: ${failureOf(e)}`;
        }
        r.state = "STOPPING";
        void killReplica(r).finally(() => this.forget(r));
      },
    );
  }

  /** Out of the routes first; once routers know it (or after ACK_WAIT_MS), drained and ended. */
  private stop(r: ReplicaRecord, graceMs: number): void {
    if (r.state === "STOPPING") return;
    const wasRunning = r.state === "RUNNING";
    r.state = "STOPPING";
    const version = this.publish(false);
    void (async () => {
      if (wasRunning) {
        const deadline = this.host.now() + ACK_WAIT_MS;
        while (version !== undefined && !this.host.acknowledged(this.key, version) && this.host.now() < deadline) await this.host.wait(20);
        await stopReplica(r, graceMs);
      } else {
        await killReplica(r);
      }
    })().finally(() => this.forget(r));
  }

  private forget(r: ReplicaRecord): void {
    this.replicas.delete(r.id);
    this.host.changed();
  }

  /** Publishes the routes when the running set changed (or `force`); returns the version. */
  private publish(force: boolean): number | undefined {
    const routes = this.routes();
    const ids = routes.replicas.map((r) => r.id).join(",");
    if (!force && ids === this.publishedIds) return this.lastVersion;
    this.publishedIds = ids;
    this.lastVersion = this.host.publish(this.key, routes);
    return this.lastVersion;
  }

  private lastVersion: number | undefined;
}
