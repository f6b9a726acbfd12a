import type { PlacementGroupInfo, PlacementGroupPlacement, PlacementStrategy } from "@lux/protocol";
import { InvalidOptionError, PlacementGroupNotFoundError, checkLabelSelector, newPutObjectId } from "@lux/common";
import { clusterLost, currentCoreWorker, currentNamespace, describe, requireConnected, requireCore } from "./api.js";
import type { ObjectRef } from "./object-ref.js";

const STRATEGIES: readonly string[] = ["PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD"] satisfies PlacementStrategy[];

/** Options of `lux.placementGroup`. */
export interface PlacementGroupOptions {
  /** How bundles spread over nodes (default "PACK"). */
  strategy?: PlacementStrategy;
  /** A name unique among live groups of its namespace, for `lux.getPlacementGroup`. */
  name?: string;
  /** Default: the job's namespace. */
  namespace?: string;
  /** `"detached"`: the group outlives the job; otherwise it ends with it. */
  lifetime?: "detached";
  /**
   * One label selector per bundle (same syntax as a task's `labelSelector`): bundle i is only
   * reserved on a node whose labels match `bundleLabelSelector[i]` (`{}`: any node).
   */
  bundleLabelSelector?: Record<string, string>[];
}

/** A row of `lux.placementGroupTable()`. */
export type PlacementGroupTableEntry = Omit<PlacementGroupInfo, "namespace">;

/** Creations in flight, by group: `ready()` and `wait()` see a refused creation (its name taken). */
const creations = new WeakMap<PlacementGroup, Promise<unknown>>();

/**
 * Resources reserved together on the cluster, all or nothing (see `lux.placementGroup`).
 * Holds only its id and bundles, so it can be passed to tasks and actors.
 */
export class PlacementGroup {
  constructor(
    /** The group's id. */
    readonly id: string,
    /** What each bundle reserves, by bundle index. */
    readonly bundleSpecs: Record<string, number>[],
  ) {}

  /** A ref that resolves to this group once it is created (for `lux.get` and `lux.wait`). */
  ready(): ObjectRef<PlacementGroup> {
    const c = requireConnected("PlacementGroup.ready");
    return c.objects.putter.putWhenReady(this.untilCreated(undefined).then((created) => {
      if (!created) throw new PlacementGroupNotFoundError({ placementGroupId: this.id, namespace: currentNamespace() });
      return this;
    })) as ObjectRef<PlacementGroup>;
  }

  /** Whether the group is created within `timeoutMs` (default: waits as long as it takes). */
  async wait(options: { timeoutMs?: number } = {}): Promise<boolean> {
    return this.untilCreated(options.timeoutMs);
  }

  /** True once CREATED; false when REMOVED or past the deadline. */
  private async untilCreated(timeoutMs: number | undefined): Promise<boolean> {
    const c = requireCore("PlacementGroup.wait");
    await creations.get(this);
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const waitMs = Math.max(0, Math.min(c.config.rpcLongPollMs, deadline - Date.now()));
      const info = await c.gcs.call("waitPlacementGroup", { placementGroupId: this.id, waitMs }, waitMs + c.config.rpcTimeoutMs).catch(clusterLost(c));
      if (info.state === "CREATED") return true;
      if (info.state === "REMOVED" || Date.now() >= deadline) return false;
    }
  }
}

/**
 * Reserves `bundles` of resources together: returns the group at once, PENDING until the
 * cluster has room for every bundle under `strategy`, then CREATED (see `pg.ready()`).
 */
export function placementGroup(bundles: Record<string, number>[], options: PlacementGroupOptions = {}): PlacementGroup {
  const c = requireConnected("lux.placementGroup");
  validateBundles(bundles);
  const strategy = options.strategy ?? "PACK";
  if (!STRATEGIES.includes(strategy)) throw new InvalidOptionError({ option: "strategy", expected: `one of ${STRATEGIES.join(", ")}`, received: strategy });
  if (options.lifetime !== undefined && options.lifetime !== "detached") {
    throw new InvalidOptionError({ option: "lifetime", expected: '"detached" or no lifetime', received: options.lifetime });
  }
  const bundleLabelSelector = checkBundleLabelSelector(options.bundleLabelSelector, bundles.length);
  const group = new PlacementGroup(`pg-${newPutObjectId()}`, bundles.map((b) => ({ ...b })));
  const creation = c.gcs
    .call("createPlacementGroup", {
      placementGroupId: group.id,
      ...(options.name !== undefined ? { name: options.name } : {}),
      namespace: options.namespace ?? currentNamespace(),
      strategy,
      bundles: group.bundleSpecs,
      jobId: c.options.jobId,
      detached: options.lifetime === "detached",
      ...(bundleLabelSelector !== undefined ? { bundleLabelSelector } : {}),
    })
    .catch(clusterLost(c));
  creation.catch(() => undefined); // seen by ready() and wait()
  creations.set(group, creation);
  return group;
}

function validateBundles(bundles: unknown): asserts bundles is Record<string, number>[] {
  if (!Array.isArray(bundles) || bundles.length === 0) {
    throw new InvalidOptionError({ option: "bundles", expected: "a non-empty array of resource sets", received: bundles });
  }
  bundles.forEach((b: unknown, i) => {
    const entries = typeof b === "object" && b !== null ? Object.entries(b) : [];
    if (entries.some(([, q]) => typeof q !== "number" || !(q >= 0))) {
      throw new InvalidOptionError({ option: `bundles[${i}]`, expected: "resource amounts >= 0", received: b });
    }
    if (!entries.some(([, q]) => (q as number) > 0)) {
      throw new InvalidOptionError({ option: `bundles[${i}]`, expected: "a bundle with at least one resource above 0", received: b });
    }
  });
}

/** One selector per bundle, each checked; undefined when none selects anything. */
function checkBundleLabelSelector(v: unknown, bundles: number): Record<string, string>[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== bundles) {
    throw new InvalidOptionError({ option: "bundleLabelSelector", expected: `an array of ${bundles} label selector(s), one per bundle`, received: v });
  }
  const selectors = v.map((s: unknown, i) => checkLabelSelector(s, `bundleLabelSelector[${i}]`) ?? {});
  return selectors.some((s) => Object.keys(s).length > 0) ? selectors : undefined;
}

/** Frees the group's resources; idempotent, also for a group still pending. */
export async function removePlacementGroup(group: PlacementGroup): Promise<void> {
  if (!(group instanceof PlacementGroup)) throw new TypeError(`lux.removePlacementGroup() takes a PlacementGroup, got ${describe(group)}`);
  const c = requireCore("lux.removePlacementGroup");
  await creations.get(group)?.catch(() => undefined);
  await c.gcs.call("removePlacementGroup", { placementGroupId: group.id }).catch(clusterLost(c));
}

/** The live group named `name`; rejects with PlacementGroupNotFoundError if there is none. */
export async function getPlacementGroup(name: string, options: { namespace?: string } = {}): Promise<PlacementGroup> {
  const c = requireCore("lux.getPlacementGroup");
  const info = await c.gcs.call("getPlacementGroup", { name, namespace: options.namespace ?? currentNamespace() }).catch(clusterLost(c));
  return new PlacementGroup(info.placementGroupId, info.bundles);
}

/** Every group's state (or one group's): `{ placementGroupId, name, strategy, state, bundles, bundleNodeIds }`. */
export async function placementGroupTable(): Promise<PlacementGroupTableEntry[]>;
export async function placementGroupTable(group: PlacementGroup): Promise<PlacementGroupTableEntry>;
export async function placementGroupTable(group?: PlacementGroup): Promise<PlacementGroupTableEntry[] | PlacementGroupTableEntry> {
  const c = requireCore("lux.placementGroupTable");
  const row = ({ namespace: _ns, ...rest }: PlacementGroupInfo): PlacementGroupTableEntry => rest;
  if (group !== undefined) {
    return row(await c.gcs.call("getPlacementGroup", { placementGroupId: group.id, namespace: currentNamespace() }).catch(clusterLost(c)));
  }
  return (await c.gcs.call("placementGroupTable", {}).catch(clusterLost(c))).map(row);
}

/** The group the running task or actor is in, or null (in the driver, or outside any group). */
export function getCurrentPlacementGroup(): PlacementGroup | null {
  const placement = currentCoreWorker()?.currentPlacementGroup();
  return placement === undefined ? null : new PlacementGroup(placement.placementGroupId, placement.bundles);
}
