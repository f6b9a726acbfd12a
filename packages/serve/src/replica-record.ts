/**
 * The controller's record of one replica, and the calls that start, check, reconfigure and
 * stop it. A replica is a detached, named actor: it outlives a controller that dies, and a
 * restarted controller finds it again by its name.
 */
import * as lux from "lux";
import { describeCause } from "./describe.js";
import { ReplicaActor, type ReplicaInit, type ServeReplica } from "./replica.js";
import { SERVE_NAMESPACE, type DeploymentSpec, type ReplicaRef } from "./specs.js";

export type ReplicaState = "STARTING" | "RUNNING" | "STOPPING";

export interface ReplicaRecord {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly actor: lux.ActorHandle<ServeReplica>;
  state: ReplicaState;
  pid: number | undefined;
  nodeId: string | undefined;
  /** The userConfig it runs with (JSON), to reconfigure it when the deployment's changes. */
  userConfig: string;
  nextHealthCheckAt: number;
  busy: boolean;
}

/** Stable JSON of a userConfig, to compare two. */
export const configKey = (userConfig: unknown): string => JSON.stringify(userConfig ?? null);

const REPLICA_PREFIX = "SERVE_REPLICA::";

const CONTROL_METHODS = ["checkHealth", "reconfigure", "getMetrics", "prepareForShutdown"] as const;

/** Creates the replica's actor (not waiting for it); its options come from the deployment's. */
export function createReplica(app: string, spec: DeploymentSpec): ReplicaRecord {
  const id = Math.random().toString(36).slice(2, 10);
  const name = `${REPLICA_PREFIX}${app}#${spec.name}#${id}`;
  const init: ReplicaInit = {
    app,
    deployment: spec.name,
    replicaId: id,
    target: spec.target,
    initArgs: spec.initArgs,
    userConfig: spec.options.userConfig,
    maxOngoingRequests: spec.options.maxOngoingRequests,
  };
  const methods = Object.fromEntries(CONTROL_METHODS.map((m) => [m, { concurrencyGroup: "control" }]));
  const actor = ReplicaActor.options({
    numCpus: 0,
    ...spec.options.actorOptions,
    name,
    namespace: SERVE_NAMESPACE,
    lifetime: "detached",
    maxRestarts: 0,
    // The replica's gate limits requests; this only bounds what waits at its door.
    maxConcurrency: Math.max(100, spec.options.maxOngoingRequests * 4),
    concurrencyGroups: { control: 16 },
    methods,
  }).remote(init);
  return {
    id,
    name,
    version: spec.version,
    actor,
    state: "STARTING",
    pid: undefined,
    nodeId: undefined,
    userConfig: configKey(spec.options.userConfig),
    nextHealthCheckAt: 0,
    busy: false,
  };
}

/** A replica of a previous controller, found by name; undefined when it is gone. */
export async function findReplica(saved: SavedReplica): Promise<ReplicaRecord | undefined> {
  try {
    const actor = await lux.getActor<ServeReplica>(saved.name, { namespace: SERVE_NAMESPACE });
    const m = await lux.get(actor.getMetrics.remote(), { timeoutMs: 10_000 });
    return { ...saved, actor, state: "RUNNING", pid: m.pid, nextHealthCheckAt: 0, busy: false };
  } catch {
    return undefined;
  }
}

/** What the controller keeps of a replica in the KV store. */
export interface SavedReplica {
  id: string;
  name: string;
  version: string;
  nodeId: string | undefined;
  userConfig: string;
}

export function saveReplica(r: ReplicaRecord): SavedReplica {
  return { id: r.id, name: r.name, version: r.version, nodeId: r.nodeId, userConfig: r.userConfig };
}

export function replicaRef(r: ReplicaRecord): ReplicaRef {
  return { id: r.id, actor: r.actor as lux.ActorHandle<unknown>, nodeId: r.nodeId ?? "" };
}

/** Waits for a starting replica's constructor; resolves with its process, rejects with why it failed. */
export async function initializeReplica(r: ReplicaRecord): Promise<void> {
  const { pid, nodeId } = await lux.get(r.actor.initialize.remote());
  r.pid = pid;
  r.nodeId = nodeId;
}

/** One health check: resolves when `checkHealth()` passed within `timeoutMs`, else rejects. */
export async function checkReplicaHealth(r: ReplicaRecord, timeoutMs: number): Promise<void> {
  await lux.get(r.actor.checkHealth.remote(), { timeoutMs });
}

/** Lets the replica finish its requests (at most `graceMs`), then ends it. */
export async function stopReplica(r: ReplicaRecord, graceMs: number): Promise<void> {
  if (graceMs > 0) {
    await lux.get(r.actor.prepareForShutdown.remote(graceMs), { timeoutMs: graceMs + 5_000 }).catch(() => undefined);
  }
  await killReplica(r);
}

/** Listing the replicas a dead controller left is tried this often (a loaded control service may time out). */
const ORPHAN_LIST_ATTEMPTS = 5;

/** Ends the live replica actors whose names are not in `adopted`: ones no controller knows of. */
export async function endOrphanReplicas(adopted: ReadonlySet<string>): Promise<void> {
  let page: Awaited<ReturnType<typeof lux.state.listActors>> | undefined;
  for (let attempt = 1; page === undefined; attempt++) {
    try {
      page = await lux.state.listActors({ filters: [["namespace", "=", SERVE_NAMESPACE], ["state", "!=", "DEAD"]], limit: 10_000 });
    } catch (e) {
      const last = attempt === ORPHAN_LIST_ATTEMPTS;
      console.error(`[serve] could not list the replicas left by the previous controller (attempt ${attempt} of ${ORPHAN_LIST_ATTEMPTS}${last ? ", giving up: replicas it missed may be left running" : ""}): ${describeCause(e)}`);
      if (last) return;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
  const orphans = page.items.filter((a) => a.name !== null && a.name.startsWith(REPLICA_PREFIX) && !adopted.has(a.name));
  await Promise.all(
    orphans.map(async (a) => {
      const actor = await lux.getActor<ServeReplica>(a.name as string, { namespace: SERVE_NAMESPACE }).catch(() => undefined);
      if (actor === undefined) return;
      await lux.kill(actor).catch((e: unknown) => console.error(`[serve] could not end replica ${a.name as string}, which no controller knows of: ${describeCause(e)}`));
    }),
  );
}

export async function killReplica(r: ReplicaRecord): Promise<void> {
  await lux.kill(r.actor).catch(() => undefined);
}

/** Why a replica failed, in one line (a constructor's throw: its class and message). */
export function failureOf(e: unknown): string {
  return describeCause(e);
}
