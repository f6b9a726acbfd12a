/**
 * A trainer's worker group: N worker actors gang-scheduled in one placement group (one bundle
 * each), ranked by node (the workers of a node get consecutive ranks), joined in a collective
 * group of their own. Shut down as one: the actors, the collective group's records, the
 * placement group.
 */
import { randomUUID } from "node:crypto";
import * as lux from "lux";
import type { PlacementStrategy } from "lux";
import type { TrainContext } from "./session.js";
import { TrainWorkerActor, type TrainWorker } from "./train-worker.js";

export interface GroupSpec {
  readonly numWorkers: number;
  readonly bundle: Record<string, number>;
  readonly placementStrategy: PlacementStrategy;
  readonly experimentName: string;
}

/** A worker and where it sits. */
export interface RankedWorker {
  readonly actor: lux.ActorHandle<TrainWorker>;
  readonly context: TrainContext;
}

/** Actor options asking for exactly the bundle (from inside it). */
function actorResources(bundle: Record<string, number>): { numCpus: number; numGpus?: number; memory?: number; resources?: Record<string, number> } {
  const { CPU = 0, GPU, memory, ...custom } = bundle;
  return {
    numCpus: CPU,
    ...(GPU !== undefined ? { numGpus: GPU } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(Object.keys(custom).length > 0 ? { resources: custom } : {}),
  };
}

/** Ranks by node: nodes in the order their first worker was created; workers of a node in creation order. */
function rank(nodeIds: readonly string[], experimentName: string): { index: number; context: TrainContext }[] {
  const nodes = [...new Set(nodeIds)];
  const order = nodeIds.map((node, index) => ({ node, index })).sort((a, b) => nodes.indexOf(a.node) - nodes.indexOf(b.node) || a.index - b.index);
  return order.map(({ node, index }, worldRank) => {
    const local = order.filter((o) => o.node === node);
    return {
      index,
      context: {
        worldSize: nodeIds.length,
        worldRank,
        localRank: local.findIndex((o) => o.index === index),
        localWorldSize: local.length,
        nodeRank: nodes.indexOf(node),
        experimentName,
      },
    };
  });
}

export class WorkerGroup {
  private constructor(
    private readonly pg: lux.PlacementGroup,
    /** By rank. */
    readonly workers: readonly RankedWorker[],
    readonly groupName: string,
  ) {}

  /**
   * Reserves the bundles (waiting until the cluster has room), starts the workers and ranks
   * them; or, when workers died while starting, ends the others and returns their errors by
   * bundle.
   */
  static async start(spec: GroupSpec): Promise<WorkerGroup | Map<number, Error>> {
    const pg = lux.placementGroup(Array.from({ length: spec.numWorkers }, () => ({ ...spec.bundle })), { strategy: spec.placementStrategy });
    const actors: lux.ActorHandle<TrainWorker>[] = [];
    const groupName = `lux-train-${randomUUID()}`;
    try {
      await lux.get(pg.ready());
      for (let i = 0; i < spec.numWorkers; i++) {
        const options = { ...actorResources(spec.bundle), maxConcurrency: 16, schedulingStrategy: { placementGroup: pg, bundleIndex: i } };
        actors.push(TrainWorkerActor.options(options).remote());
      }
      const found = await Promise.allSettled(actors.map((a) => lux.get(a.nodeId.remote())));
      const errors = new Map(found.flatMap((f, i) => (f.status === "rejected" ? [[i, f.reason instanceof Error ? f.reason : new TypeError(String(f.reason))] as const] : [])));
      if (errors.size > 0) {
        await end(actors, pg, groupName);
        return errors;
      }
      const nodeIds = found.map((f) => (f as PromiseFulfilledResult<string>).value);
      const workers = rank(nodeIds, spec.experimentName).map(({ index, context }) => ({ actor: actors[index] as lux.ActorHandle<TrainWorker>, context }));
      await lux.util.collective.createCollectiveGroup(workers.map((w) => w.actor), { groupName });
      return new WorkerGroup(pg, workers, groupName);
    } catch (e) {
      await end(actors, pg, groupName);
      throw e;
    }
  }

  /** Ends the workers (a loop still running stops with its process) and frees their reservation. */
  async shutdown(): Promise<void> {
    await end(this.workers.map((w) => w.actor), this.pg, this.groupName);
  }
}

async function end(actors: readonly lux.ActorHandle<TrainWorker>[], pg: lux.PlacementGroup, groupName: string): Promise<void> {
  // Each step is done even if another fails (the cluster may be going away under us).
  await Promise.allSettled(actors.map((a) => lux.kill(a)));
  await lux.util.collective.destroyCollectiveGroup(groupName).catch(() => undefined);
  await lux.removePlacementGroup(pg).catch(() => undefined);
}
