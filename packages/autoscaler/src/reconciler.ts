/**
 * The autoscaler's loop (one per cluster, on the head): every reconcileIntervalMs it reads the
 * provider's nodes and the control service's view, activity, demand and standing request;
 * brings its instances' states up to date (instances.ts); drains and ends idle nodes
 * (scale-down.ts); launches what the plan says (scale-up.ts); and publishes its status.
 */
import { INSTANCE_ID_LABEL, NodeProviderError, createLogger } from "@lux/common";
import { systemClock, type Clock, type DemandEntry, type NodeActivity, type NodeResources, type TimerHandle } from "@lux/protocol";
import type { ClusterConfig } from "./cluster-config.js";
import type { ControlService } from "./control-client.js";
import { InstanceTable, type Instance } from "./instances.js";
import { TAG_CLUSTER, TAG_NODE_KIND, TAG_NODE_TYPE, type NodeProvider } from "./node-provider.js";
import { idleNodesToEnd } from "./scale-down.js";
import { scaleUp, type ScaleUp } from "./scale-up.js";
import { buildStatus } from "./status-builder.js";
import type { AutoscalerStatus } from "./status.js";

const log = createLogger("autoscaler");

/** A node still listed this long after it was ended is ended again. */
const TERMINATE_AGAIN_MS = 30_000;

export interface ReconcilerOptions {
  config: ClusterConfig;
  provider: NodeProvider;
  control: ControlService;
  clock?: Clock;
  /** A launched node whose raylet has not joined after this long failed (default 10 minutes). */
  launchTimeoutMs?: number;
}

export class Reconciler {
  readonly instances: InstanceTable;
  private readonly clock: Clock;
  private readonly startedAtMs = Date.now();
  private timer: TimerHandle | undefined;
  private pass: Promise<void> | undefined;
  private closed = false;
  private queued = 0;
  private passes = 0;
  private status: AutoscalerStatus | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    this.clock = options.clock ?? systemClock;
    this.instances = new InstanceTable(this.clock);
  }

  /** Reconciles now, then every reconcileIntervalMs (counted from the end of each pass). */
  start(): void {
    const loop = (): void => {
      if (this.closed) return;
      this.pass = this.reconcile().finally(() => {
        this.pass = undefined;
        if (!this.closed) this.timer = this.clock.setTimeout(loop, this.options.config.reconcileIntervalMs);
      });
    };
    loop();
  }

  /** The status published last. */
  latestStatus(): AutoscalerStatus | undefined {
    return this.status;
  }

  /** One pass; its failure is logged and published (the next pass tries again). */
  async reconcile(): Promise<void> {
    const { provider, control, config } = this.options;
    let error: string | undefined;
    let demand: DemandEntry[] = [];
    let up: ScaleUp = { launch: new Map(), infeasible: [], waiting: [] };
    let request: Record<string, number>[] = [];
    try {
      const filter = { [TAG_CLUSTER]: config.clusterName, [TAG_NODE_KIND]: "worker" };
      let view: NodeResources[];
      let activity: NodeActivity[];
      [view, activity, demand, request] = await Promise.all([control.view(), control.activity(), control.demand(), control.request()]);
      await this.sync(await provider.nonTerminatedNodes(filter), view);
      await this.scaleDown(view, activity, request);
      up = scaleUp(config, this.instances.all(), view, demand, request, this.instances.blocked());
      await this.launch(up.launch);
    } catch (e) {
      error = (e as Error).message;
      log.warn(`reconcile failed (tried again in ${config.reconcileIntervalMs} ms): ${error}`);
    }
    this.passes++;
    this.status = buildStatus({ config, table: this.instances, demand, up, request, startedAtMs: this.startedAtMs, passes: this.passes, error });
    await control.publish(this.status).catch((e: unknown) => log.warn(`could not publish the autoscaler's status: ${(e as Error).message}`));
  }

  /** Brings each instance's state up to date with the provider's nodes and the cluster's raylets. */
  private async sync(listedIds: readonly string[], view: readonly NodeResources[]): Promise<void> {
    const listed = new Set(listedIds);
    const raylets = new Map<string, NodeResources>();
    for (const n of view) {
      const id = n.labels?.[INSTANCE_ID_LABEL];
      if (id !== undefined && (n.alive || !raylets.has(id))) raylets.set(id, n);
    }
    for (const id of listedIds) {
      if (this.instances.get(id) !== undefined) continue;
      // A node of a previous run of the autoscaler (or one whose launch reply was lost).
      const type = (await this.options.provider.nodeTags(id))[TAG_NODE_TYPE] ?? "unknown";
      this.instances.add(id, type, "ALLOCATED");
      log.info(`found ${type} node ${id} (launched before)`);
    }
    const toEnd: Instance[] = [];
    for (const i of this.instances.all()) {
      const node = raylets.get(i.id);
      if (this.syncOne(i, listed.has(i.id), node)) toEnd.push(i);
    }
    if (toEnd.length > 0) await this.terminate(toEnd, "it is broken");
  }

  /** One instance's next state; true if its node must be ended. */
  private syncOne(i: Instance, listed: boolean, node: NodeResources | undefined): boolean {
    const table = this.instances;
    const failure = (): string | undefined => this.options.provider.failureOf?.(i.id);
    switch (i.state) {
      case "REQUESTED":
      case "ALLOCATED": {
        if (node?.alive === true) {
          i.nodeId = node.nodeId;
          table.set(i, "RUNNING");
          log.info(`${i.nodeType} node ${i.id} is running (node ${node.nodeId.slice(0, 8)})`);
        } else if (!listed) {
          table.failed(i.nodeType, failure() ?? "the node ended before its raylet joined the cluster", i);
        } else if (this.clock.now() - i.createdAt > (this.options.launchTimeoutMs ?? 600_000)) {
          table.failed(i.nodeType, `its raylet did not join within ${Math.round((this.options.launchTimeoutMs ?? 600_000) / 1000)} s`, i);
          return true;
        } else table.set(i, "ALLOCATED");
        return false;
      }
      case "RUNNING":
        if (!listed) {
          table.lost(i, failure() ?? "the node ended without being terminated");
          table.set(i, "TERMINATED");
        } else if (node !== undefined && !node.alive) {
          table.lost(i, "its raylet died; the node is ended");
          return true;
        }
        return false;
      case "TERMINATING":
        if (!listed) table.set(i, "TERMINATED");
        // Still there long after it was ended (the provider failed to end it): end it again.
        else if (this.clock.now() - i.since > TERMINATE_AGAIN_MS) return true;
        return false;
      default:
        return false;
    }
  }

  private async terminate(instances: readonly Instance[], why: string): Promise<void> {
    for (const i of instances) {
      this.instances.set(i, "TERMINATING");
      i.since = this.clock.now();
    }
    log.info(`terminating ${instances.map((i) => i.id).join(", ")}: ${why}`);
    await this.options.provider.terminateNodes(instances.map((i) => i.id)).catch((e: unknown) => {
      log.warn(`terminating ${instances.length} node(s) failed (tried again next pass): ${(e as Error).message}`);
    });
  }

  /** Drains the idle nodes to end, then ends those whose drain was accepted. */
  private async scaleDown(view: readonly NodeResources[], activity: readonly NodeActivity[], request: readonly Record<string, number>[]): Promise<void> {
    const candidates = idleNodesToEnd(this.options.config, this.instances.all(), view, activity, request);
    await Promise.all(
      candidates.map(async (c) => {
        const reason = `idle for ${Math.round(c.idleForMs / 1000)} s (idleTimeoutS ${this.options.config.idleTimeoutS})`;
        const reply = await this.options.control.drain(c.nodeId, reason).catch((e: unknown) => ({ accepted: false, rejection: (e as Error).message, movedObjects: 0, failedObjects: 0 }));
        if (!reply.accepted) {
          log.info(`node ${c.instance.id} was not drained (${reply.rejection ?? "busy"}); asked again later`);
          return;
        }
        await this.terminate([c.instance], `${reason}; drained, ${reply.movedObjects} object(s) moved off`);
      }),
    );
  }

  private async launch(launches: ReadonlyMap<string, number>): Promise<void> {
    const { provider, config } = this.options;
    const tags = { [TAG_CLUSTER]: config.clusterName, [TAG_NODE_KIND]: "worker" };
    await Promise.all(
      [...launches].map(async ([type, count]) => {
        const queued = Array.from({ length: count }, () => this.instances.add(`queued-${this.queued++}`, type, "QUEUED"));
        for (const q of queued) this.instances.set(q, "REQUESTED");
        log.info(`launching ${count} ${type} node(s)`);
        try {
          const ids = await provider.createNodes(type, count, tags);
          for (const [n, q] of queued.entries()) {
            const id = ids[n];
            if (id !== undefined && this.instances.get(id) === undefined) this.instances.rename(q, id);
            else if (id === undefined) this.instances.failed(type, `the provider started ${ids.length} of ${count} nodes`, q);
            else this.instances.set(q, "TERMINATED"); // found by sync already, under its id
          }
        } catch (e) {
          const reason = e instanceof NodeProviderError ? e.message : `the provider failed: ${(e as Error).message}`;
          log.warn(`launching ${count} ${type} node(s) failed: ${reason}`);
          const [first, ...rest] = queued;
          if (first !== undefined) this.instances.failed(type, reason, first);
          for (const q of rest) this.instances.set(q, "ALLOCATION_FAILED");
        }
      }),
    );
  }

  /** Stops the loop (after the pass under way); the nodes keep running. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.pass;
  }
}
