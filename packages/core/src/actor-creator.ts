import type { ActorCreationSpec, GcsService, PlacementGroupPlacement, RpcCaller, SchedulingStrategy } from "@lux/protocol";
import { ActorDiedError, createLogger, fromWireError, newActorId, resourcesInBundle } from "@lux/common";
import type { ActorCallOptions } from "./actor-call-options.js";
import { waitActorSettled, type ActorWaitConfig } from "./actor-info.js";
import { methodNames } from "./actor-methods.js";
import type { ActorNames } from "./actor-names.js";
import type { ActorSubmitter } from "./actor-submitter.js";
import type { DefinitionExporter } from "./definition-exporter.js";
import type { DependencyResolver } from "./dependency-resolver.js";
import type { Definition } from "./function-registry.js";
import type { AnyClass } from "./types.js";
import type { RuntimeEnvInput, RuntimeEnvResolver } from "./runtime-env.js";
import type { EncodedCall } from "./large-args.js";
import { encodeArgs, topLevelRefs } from "./task-args.js";

const log = createLogger("core");

export interface ActorOptionsCompiled extends ActorCallOptions {
  /** What the actor holds while it runs. */
  resources: Record<string, number>;
  /** What a node must have free to be given the actor, if not `resources` (see ActorCreationSpec). */
  placementResources?: Record<string, number> | undefined;
  name: string | undefined;
  namespace: string;
  getIfExists: boolean;
  detached: boolean;
  /** Undefined: 1,000 for an async actor, else 1 (see actor-class.ts). */
  maxConcurrency: number | undefined;
  maxRestarts: number;
  /** Re-sends of a call in flight when the actor died (see ActorOptions.maxTaskRetries). */
  maxTaskRetries: number;
  /** Where the actor may be placed; undefined is "DEFAULT". */
  strategy?: SchedulingStrategy | undefined;
  /** The placement group it lives in. */
  placementGroup?: PlacementGroupPlacement | undefined;
  /** A schedulingStrategy was given: the actor does not inherit a capturing group. */
  strategyGiven?: boolean;
  /** Only nodes whose labels match may host it. */
  labelSelector?: Record<string, string> | undefined;
  /** The runtimeEnv option, validated (merged over the job's at creation). */
  runtimeEnv?: RuntimeEnvInput | undefined;
}

export interface ActorCreatorDeps {
  jobId: string;
  /** This process's address: it owns the actors it creates. */
  ownerAddress: string;
  /** This process's worker id and node: its non-detached actors die with them. */
  ownerWorkerId: string;
  ownerNodeId: string;
  gcs: RpcCaller<GcsService>;
  /** The names this process knows are taken: a taken one is refused at the call. */
  names: Pick<ActorNames, "claim" | "settled">;
  actors: ActorSubmitter;
  definitions: DefinitionExporter;
  runtimeEnvs: RuntimeEnvResolver;
  dependencies: DependencyResolver;
  /** Constructor arguments over `limit` bytes go `through` the object store (see large-args.ts). */
  largeArgs: { limit: number; through: (args: unknown[], name: string) => EncodedCall };
  config: ActorWaitConfig;
}

/** Creates actors through the control service (and kills them); calls made meanwhile wait for the registration. */
export class ActorCreator {
  /** Registrations of detached actors in flight: close() lets them reach the control service. */
  private readonly detachedRegistrations = new Set<Promise<unknown>>();
  /** Creations sent to the control service and not yet settled (alive or dead), by actor id. */
  private readonly inFlight = new Map<string, ActorCreationSpec>();
  /**
   * Registrations of the non-detached actors this process created whose handles are still
   * referenced somewhere, by actor id (the id of their handles' object, see ActorHandleState).
   */
  private readonly owned = new Map<string, Promise<{ actorId: string }>>();

  constructor(private readonly deps: ActorCreatorDeps) {}

  /**
   * Registers an actor with the control service; returns its id at once. A name this process
   * knows is taken throws ActorNameTakenError here (see ActorNames).
   */
  create(def: Definition, callArgs: unknown[], options: ActorOptionsCompiled): string {
    const actorId = newActorId();
    const exported = this.deps.definitions.export(def);
    let args = callArgs;
    let encoded = encodeArgs(args, `${def.name} constructor`);
    if (encoded.bytes.length > this.deps.largeArgs.limit) ({ args, encoded } = this.deps.largeArgs.through(args, `${def.name} constructor`));
    const spec = this.spec(actorId, def, encoded.bytes, options);
    const deps = topLevelRefs(args);
    // Claimed once nothing else here can throw, so a refused call leaves no claim behind.
    const claimed = options.name !== undefined && !options.getIfExists ? options.name : undefined;
    if (claimed !== undefined) this.deps.names.claim(options.namespace, claimed, actorId);
    const lost = this.deps.actors.lostError;
    const registration = (async () => {
      // This process lost its cluster: the actor is not created (its calls fail with the same error).
      if (lost !== undefined) throw lost;
      await exported;
      const runtimeEnv = await this.deps.runtimeEnvs.resolve(options.runtimeEnv);
      if (runtimeEnv !== undefined) spec.runtimeEnv = runtimeEnv;
      spec.resolved = await this.deps.dependencies.resolveArgs(deps);
      const failed = spec.resolved.find((r) => r.error !== undefined);
      if (failed !== undefined) {
        throw new ActorDiedError({
          actorId,
          ...(options.name !== undefined ? { actorName: options.name } : {}),
          cause: new Error("an argument of the actor's constructor failed", { cause: fromWireError(failed.error) }),
        });
      }
      this.inFlight.set(actorId, spec);
      return this.deps.gcs.call("createActor", spec);
    })();
    this.deps.actors.registering(actorId, registration, options.name, options.namespace);
    if (!options.detached) this.owned.set(actorId, registration);
    if (claimed !== undefined) {
      const settled = (): void => this.deps.names.settled(options.namespace, claimed, actorId);
      registration.then(settled, settled);
    }
    if (options.detached) {
      this.detachedRegistrations.add(registration);
      const done = (): void => void this.detachedRegistrations.delete(registration);
      registration.then(done, done);
    }
    registration.catch((e: unknown) => {
      // Calls to the actor reject with this as the cause; say it now for code that makes none.
      log.warn(`could not create actor ${def.name}${options.name !== undefined ? ` "${options.name}"` : ""}: ${(e as Error).message}`);
    });
    // The argument refs stay referenced (by this closure) until the constructor has run, and
    // for an actor that may restart, until it is known dead: a restart constructs it again
    // with them, re-creating from lineage those lost with a node.
    let held: readonly unknown[] | undefined = encoded.held;
    const release = (): void => void (held = undefined);
    registration
      .then(() => waitActorSettled(this.deps.gcs, actorId, undefined, this.deps.config))
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(actorId);
        if (options.maxRestarts === 0 || held === undefined || held.length === 0) release();
        else this.deps.actors.whenDead(actorId, release);
      });
    return actorId;
  }

  private spec(actorId: string, def: Definition, args: Uint8Array, options: ActorOptionsCompiled): ActorCreationSpec {
    return {
      actorId,
      jobId: this.deps.jobId,
      functionId: def.descriptor?.functionId ?? "",
      className: def.name,
      args,
      resolved: [],
      borrowed: [],
      ownerAddress: this.deps.ownerAddress,
      ownerWorkerId: this.deps.ownerWorkerId,
      ownerNodeId: this.deps.ownerNodeId,
      ...placedResources(options),
      name: options.name,
      namespace: options.namespace,
      getIfExists: options.getIfExists,
      detached: options.detached,
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
      ...(options.concurrencyGroups !== undefined ? { concurrencyGroups: options.concurrencyGroups } : {}),
      ...(options.methodConcurrencyGroups !== undefined ? { methodConcurrencyGroups: options.methodConcurrencyGroups } : {}),
      ...(options.maxPendingCalls !== undefined ? { maxPendingCalls: options.maxPendingCalls } : {}),
      maxRestarts: options.maxRestarts,
      maxTaskRetries: options.maxTaskRetries,
      ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
      ...(options.placementGroup !== undefined ? { placementGroup: options.placementGroup } : {}),
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      gpuIds: [],
      methods: [...methodNames(def.target as AnyClass)],
    };
  }

  /**
   * An object this process owned was freed. If it is the handle object of an actor it created,
   * no handle to the actor is left in any process and no call through one is pending: the
   * actor ends (the control service frees its name). A handle made with getIfExists that found
   * another process's actor leaves that actor alone.
   */
  freed(objectId: string): void {
    if (this.owned.size === 0) return;
    const registration = this.owned.get(objectId);
    if (registration === undefined) return;
    this.owned.delete(objectId);
    registration.then(
      ({ actorId }) => {
        if (actorId !== objectId) return;
        this.deps.gcs.call("reportActorOutOfScope", { actorId }).catch((e: unknown) => {
          log.warn(`could not tell the control service that actor ${actorId.slice(0, 8)} has no handles left: ${(e as Error).message}`);
        });
      },
      () => undefined, // never created: nothing to end
    );
  }

  async kill(actorId: string, noRestart: boolean): Promise<void> {
    const { actors, gcs } = this.deps;
    // A kill right after creation must reach the control service after the registration.
    await actors.registration(actorId)?.catch(() => undefined);
    await gcs.call("killActor", { actorId, noRestart });
    // The actor's worker ends a moment later: calls made from now on must not reach it meanwhile.
    const info = await gcs.call("getActorInfo", { actorId, waitAlive: false }).catch(() => undefined);
    if (info?.state === "DEAD") actors.markDead(actorId, actors.deathError(actorId, info));
    else actors.restarting(actorId);
  }

  /**
   * The control service restarted and lost its state: the creations still in flight are sent
   * again through `gcs` (the new connection, before calls waiting for it go through), so an
   * actor created just before the restart is created. Refusals reach the creation's own caller.
   */
  async createAgain(gcs: RpcCaller<GcsService>): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((spec) => gcs.call("createActor", spec).catch(() => undefined)));
  }

  /** Settles once the detached actors created so far are registered (or refused): they must outlive this process. */
  async detachedRegistered(): Promise<void> {
    await Promise.allSettled([...this.detachedRegistrations]);
  }
}

/** What the actor asks of the schedulers: in a placement group, the resources named after its bundle. */
function placedResources(options: ActorOptionsCompiled): Pick<ActorCreationSpec, "resources" | "placementResources"> {
  const pg = options.placementGroup;
  if (pg !== undefined) return { resources: resourcesInBundle(options.resources, pg.placementGroupId, pg.bundleIndex) };
  return {
    resources: options.resources,
    ...(options.placementResources !== undefined ? { placementResources: options.placementResources } : {}),
  };
}
