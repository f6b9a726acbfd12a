import { NotInitializedError } from "@lux/common";
import { GENERATOR_MARK } from "./actor-methods.js";
import type { CoreWorker } from "./core-worker.js";
import { HELD_REF, ObjectRef } from "./object-ref.js";
import { compileMethodOptions, type MethodOptions } from "./options.js";
import { registerWireExtension } from "./serialization/index.js";

/** Where handles find the core worker of the process they are used in. */
let currentCore: (operation: string) => CoreWorker = (operation) => {
  throw new NotInitializedError({ operation });
};

export function setCoreAccessor(get: (operation: string) => CoreWorker): void {
  currentCore = get;
}

const ACTOR_ID = Symbol("lux.actorId");
const CLASS_NAME = Symbol("lux.className");
const OWNER = Symbol("lux.actorOwner");
const METHODS = Symbol("lux.methods");
const GROUPS = Symbol("lux.concurrencyGroups");
const MAX_PENDING = Symbol("lux.maxPendingCalls");

/** What a handle knows of its actor's call options (from its creation options; travels with the handle). */
export interface HandleLimits {
  /** The actor's concurrency groups besides the default one: a call naming another throws. */
  concurrencyGroups?: readonly string[] | undefined;
  /** The actor's maxPendingCalls (undefined: no limit). */
  maxPendingCalls?: number | undefined;
}

/**
 * What the calls through one stub add to their spec (one object per stub, made once; none for
 * a stub with neither): a concurrency group, and the limit of calls pending.
 */
export interface CallExtras {
  concurrencyGroup?: string | undefined;
  maxPendingCalls?: number | undefined;
}

/**
 * The object behind every actor handle; users see it through a Proxy typed as ActorHandle<T>.
 *
 * A handle of a non-detached actor keeps the actor alive: it holds a ref to the handle's
 * object (whose id is the actor id, owned by the actor's creator), counted like any ref: in
 * this process while the handle or a call made through it is alive, in other processes as a
 * borrow. When the owner's count ends, the actor ends. Handles of detached actors, and
 * handles found by name (`getActor`), hold none, as in Ray.
 */
export class ActorHandleState {
  readonly [ACTOR_ID]: string;
  readonly [CLASS_NAME]: string;
  /** The address of the actor's creator (the owner of the handle's object); undefined: not counted. */
  readonly [OWNER]: string | undefined;
  readonly [HELD_REF]: ObjectRef | undefined;
  /** The class's methods (see actor-methods.ts); undefined when not known (any name is sent). */
  readonly [METHODS]: readonly string[] | undefined;
  readonly [GROUPS]: readonly string[] | undefined;
  readonly [MAX_PENDING]: number | undefined;
  constructor(actorId: string, className: string, owner: string | undefined, methods: readonly string[] | undefined, limits: HandleLimits = {}) {
    this[ACTOR_ID] = actorId;
    this[CLASS_NAME] = className;
    this[OWNER] = owner;
    this[METHODS] = methods;
    this[GROUPS] = limits.concurrencyGroups;
    this[MAX_PENDING] = limits.maxPendingCalls;
    this[HELD_REF] = owner === undefined ? undefined : new ObjectRef(actorId, owner);
  }
}

/** The actor id behind a handle, or undefined if `value` is not a handle. */
export function actorIdOf(value: unknown): string | undefined {
  return value instanceof ActorHandleState ? value[ACTOR_ID] : undefined;
}

/** The extras of a stub's calls (see CallExtras): undefined for the plain calls of most actors. */
function extrasOf(state: ActorHandleState, group: string | undefined): CallExtras | undefined {
  const maxPendingCalls = state[MAX_PENDING];
  return group === undefined && maxPendingCalls === undefined ? undefined : { concurrencyGroup: group, maxPendingCalls };
}

/**
 * A method stub; it holds the handle (`state`), and so does every call made through it until
 * it is done. `group`: the concurrency group its calls name (`.options({ concurrencyGroup })`).
 */
function method(state: ActorHandleState, name: string, numReturns: number | undefined, group?: string): object {
  const actorId = state[ACTOR_ID];
  const extras = extrasOf(state, group);
  return {
    remote: (...args: unknown[]) => {
      const refs = currentCore(`${name}.remote`).submitActorCall(actorId, name, args, numReturns ?? 1, state, undefined, extras);
      return numReturns === undefined ? refs[0] : refs;
    },
    options: (opts: MethodOptions) => {
      // Checked even without numReturns, so an unknown option fails here, at the call site.
      const compiled = compileMethodOptions(opts, false, state[GROUPS]);
      return method(state, name, opts.numReturns === undefined ? numReturns : compiled.numReturns, compiled.concurrencyGroup ?? group);
    },
  };
}

/** The stub of a generator method: `.remote()` returns an ObjectRefGenerator of what the call yields. */
function generatorMethod(state: ActorHandleState, name: string, backpressure: number, group?: string): object {
  const actorId = state[ACTOR_ID];
  const extras = extrasOf(state, group);
  return {
    remote: (...args: unknown[]) => {
      const core = currentCore(`${name}.remote`);
      return core.generators.open(core.submitActorCall(actorId, name, args, 1, state, backpressure, extras)[0] as ObjectRef);
    },
    options: (opts: MethodOptions) => {
      const compiled = compileMethodOptions(opts, true, state[GROUPS]);
      const paced = opts.generatorBackpressureNumObjects === undefined ? backpressure : compiled.generatorBackpressure;
      return generatorMethod(state, name, paced, compiled.concurrencyGroup ?? group);
    },
  };
}

/** A name the actor's class has no method of: calling it throws here, at the call. */
function noSuchMethod(className: string, name: string, methods: readonly string[]): object {
  const refuse = (): never => {
    throw new TypeError(`${className} has no method "${name}"; its methods: ${methods.join(", ") || "none"}`);
  };
  return { remote: refuse, options: refuse };
}

/**
 * Makes the handle for an actor: a property is a method stub; with `methods` known, a name
 * that is not one of them throws when called. It is not a thenable. `owner`: the address of
 * the actor's creator, for a handle that keeps the actor alive.
 */
export function makeActorHandle(actorId: string, className: string, owner?: string, methods?: readonly string[], limits?: HandleLimits): object {
  const state = new ActorHandleState(actorId, className, owner, methods, limits);
  const known = methods === undefined ? undefined : new Set(methods);
  const stubs = new Map<string, object>();
  return new Proxy(state, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop === "constructor") return Reflect.get(target, prop, receiver) as unknown;
      if (prop === "then" || prop === "toJSON") return undefined;
      if (prop === "toString") return () => `ActorHandle(${className}, ${actorId})`;
      let m = stubs.get(prop);
      if (m === undefined) {
        if (known === undefined || known.has(prop)) m = method(target, prop, undefined);
        else if (known.has(GENERATOR_MARK + prop)) m = generatorMethod(target, prop, 0);
        else m = noSuchMethod(className, prop, methods ?? []);
        stubs.set(prop, m);
      }
      return m;
    },
  });
}

registerWireExtension<ActorHandleState>({
  type: 2,
  Class: ActorHandleState,
  // The owner travels only with handles that keep the actor alive; the methods when known; the
  // concurrency groups and maxPendingCalls when the actor has them.
  encode: (h) => {
    if (h[GROUPS] !== undefined || h[MAX_PENDING] !== undefined) {
      return [h[ACTOR_ID], h[CLASS_NAME], h[OWNER] ?? null, h[METHODS] ?? null, h[GROUPS] ?? null, h[MAX_PENDING] ?? null];
    }
    if (h[METHODS] !== undefined) return [h[ACTOR_ID], h[CLASS_NAME], h[OWNER] ?? null, h[METHODS]];
    return h[OWNER] === undefined ? [h[ACTOR_ID], h[CLASS_NAME]] : [h[ACTOR_ID], h[CLASS_NAME], h[OWNER]];
  },
  decode: (data) => {
    type Fields = [string, string, string | null | undefined, string[] | null | undefined, string[] | null | undefined, number | null | undefined];
    const [actorId, className, owner, methods, groups, maxPendingCalls] = data as Fields;
    const limits = { concurrencyGroups: groups ?? undefined, maxPendingCalls: maxPendingCalls ?? undefined };
    return makeActorHandle(actorId, className, owner ?? undefined, methods ?? undefined, limits) as ActorHandleState;
  },
});
