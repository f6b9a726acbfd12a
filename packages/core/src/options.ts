import { MAX_NUM_RETURNS, type PlacementGroupPlacement, type SchedulingStrategy as WireStrategy } from "@lux/protocol";
import { InvalidOptionError, checkLabelSelector } from "@lux/common";
import type { PlacementGroup } from "./placement-group.js";
import { checkFitsGroup } from "./placement-group-fit.js";
import { callGroup, callOptions } from "./actor-call-options.js";
import { checkRuntimeEnv, type RuntimeEnv } from "./runtime-env.js";
import type { TaskOptionsCompiled } from "./task-record.js";
import type { MethodNames } from "./types.js";

/**
 * Where a task or actor may run. `"DEFAULT"`: the submitting node until it is about half
 * used, then the least-loaded node that fits. `"SPREAD"`: the nodes with room in turn,
 * whatever their load (round robin over the job's SPREAD tasks).
 * `{ nodeId, soft: false }`: only that node (fails with NodeAffinityError if it is dead or
 * unknown); `{ nodeId, soft: true }`: that node if it is alive and can run it, else DEFAULT.
 * `{ placementGroup }`: inside a placement group's reservation (see
 * PlacementGroupSchedulingStrategy).
 */
export type SchedulingStrategy = "DEFAULT" | "SPREAD" | { nodeId: string; soft: boolean } | PlacementGroupSchedulingStrategy;

/**
 * Work inside a placement group: it uses only what the group reserved (in bundle
 * `bundleIndex`, or -1 for any bundle with room), and waits while the group is pending. With
 * `captureChildTasks`, tasks and actors it creates run in the group too, unless they set a
 * strategy of their own.
 */
export interface PlacementGroupSchedulingStrategy {
  placementGroup: PlacementGroup;
  /** Default -1: any bundle. */
  bundleIndex?: number;
  /** Default false. */
  captureChildTasks?: boolean;
}

/** A scheduling strategy, validated: where on the wire, or in a placement group. */
export interface CompiledStrategy {
  strategy: WireStrategy | undefined;
  placementGroup: PlacementGroupPlacement | undefined;
  /** The option was given (even "DEFAULT"): work created inside a capturing group keeps it. */
  given: boolean;
}

/** Options of a remote function (`lux.remote(fn).options({...})`). */
export interface TaskOptions {
  /** CPUs the task holds while it runs (fractions allowed). Default 1. */
  numCpus?: number;
  /** GPUs the task holds; the worker sees their ids in CUDA_VISIBLE_DEVICES. Default 0. */
  numGpus?: number;
  /**
   * Bytes of memory the task reserves while it runs, a logical resource like numCpus: a node
   * runs only as many such tasks at once as its `memory` resource holds. Nothing limits what
   * the task really uses; a node that runs out of memory kills a worker (see OutOfMemoryError).
   * Default 0.
   */
  memory?: number;
  /** Custom resources, e.g. `{ accelerator: 1 }`. */
  resources?: Record<string, number>;
  /** Times to re-run the task if its worker dies; -1 = forever. Default 3. */
  maxRetries?: number;
  /** Also retry when the task throws: `true`, or the error names to retry on. Default false. */
  retryExceptions?: boolean | readonly string[];
  /** Number of return refs; the function must return an array of that length. Default 1. */
  numReturns?: number;
  /** A name for the task in logs and errors. */
  name?: string;
  /** Where the task may run. Default "DEFAULT". */
  schedulingStrategy?: SchedulingStrategy;
  /**
   * Only nodes whose labels match may run it: label key to `"v"` (equals), `"!v"` (not
   * equals), `"in(a,b)"` or `"!in(a,b)"`, e.g. `{ zone: "a", "lux.io/accelerator-type":
   * "H100" }`. A node lacking a label fails `v` and `in(...)`. With no matching node it stays
   * pending (with one warning) until one joins. See docs/labels-and-gpus.md.
   */
  labelSelector?: Record<string, string>;
  /** Working directory and environment variables of the task's worker, merged over the job's. */
  runtimeEnv?: RuntimeEnv;
  /**
   * A generator function: the most items its task runs ahead of what the consumer has taken
   * from its ObjectRefGenerator (the worker pauses the generator until it takes more). A
   * positive integer. Default: no limit. Ignored for other functions.
   */
  generatorBackpressureNumObjects?: number;
  /**
   * A worker that started this many calls of the function runs nothing after the last one: it
   * exits, freeing its resources, and later tasks get a fresh worker (Ray's max_calls; e.g. to
   * free memory a library never gives back). An integer >= 0. Default 0: no limit.
   */
  maxCalls?: number;
}

/** The keys of `methods` in ActorOptions<T>: T's methods, or any name when T is not known. */
type MethodKey<T> = unknown extends T ? string : MethodNames<T>;

/** What the `methods` actor option sets for one method. */
export interface ActorMethodDefaults<G extends string = string> {
  /** The concurrency group its calls run in: one of the actor's concurrencyGroups, or "default". */
  concurrencyGroup?: NoInfer<G> | "default";
}

/**
 * Options of an actor class (`lux.remote(Class).options({...})`). T: the class's instances (the
 * keys of `methods` are its methods); G: the names of its concurrency groups.
 */
export interface ActorOptions<T = unknown, G extends string = string> {
  /**
   * CPUs the actor holds while it lives. Default, as in Ray: it is placed on a node with a
   * free CPU but holds none (so it never lands on a node without CPUs, and one CPU hosts
   * many actors); give `numCpus` (even 0) to hold exactly that.
   */
  numCpus?: number;
  numGpus?: number;
  /** Bytes of memory the actor reserves while it lives (a logical resource, see TaskOptions.memory). */
  memory?: number;
  resources?: Record<string, number>;
  /** Times the actor is re-created after its process dies; -1 = forever. Default 0. */
  maxRestarts?: number;
  /**
   * Times a method call in flight when the actor's process died is re-sent after the actor
   * restarts (in order; at-least-once); -1 = forever. Default 0: such calls reject with
   * ActorDiedError (at-most-once). Calls made while it restarts always wait for it. Also
   * the times a call whose result was lost with a node is sent again to rebuild it.
   */
  maxTaskRetries?: number;
  /**
   * Calls allowed to run at once (they interleave at their awaits). Default, as in Ray: 1,000
   * for an async actor (a class with an async method), so one call may wait for another; 1
   * otherwise. Calls start in submission order per caller.
   */
  maxConcurrency?: number;
  /**
   * Concurrency groups besides the default one: group name to the calls of that group run at
   * once, e.g. `{ io: 2, compute: 1 }`. A group whose calls are all busy never holds back
   * another group's calls. Put methods in a group with `methods`, or one call with
   * `handle.m.options({ concurrencyGroup })`; the others run in the default group, whose limit
   * is maxConcurrency. See docs/actors.md.
   */
  concurrencyGroups?: Record<G, number>;
  /**
   * Defaults per method: `{ fetch: { concurrencyGroup: "io" } }` runs `fetch`'s calls in the
   * group "io" (one of concurrencyGroups, or "default").
   */
  methods?: { [K in MethodKey<T>]?: ActorMethodDefaults<G> };
  /**
   * Calls from one process to the actor that may be unfinished at once: a call made beyond them
   * throws PendingCallsLimitExceededError at `.remote()` (Ray's max_pending_calls). An integer
   * >= 1, or -1 for no limit. Default: no limit.
   */
  maxPendingCalls?: number;
  /** A name others can find the actor by with `lux.getActor(name)`. */
  name?: string;
  /** Namespace of the name. Default: the job's namespace. */
  namespace?: string;
  /** `"detached"`: the actor outlives its driver until killed. */
  lifetime?: "detached" | "nonDetached";
  /** With `name`: return the existing actor of that name instead of failing. */
  getIfExists?: boolean;
  /** Where the actor may be placed. Default "DEFAULT". */
  schedulingStrategy?: SchedulingStrategy;
  /**
   * Only nodes whose labels match may host it: label key to `"v"` (equals), `"!v"` (not
   * equals), `"in(a,b)"` or `"!in(a,b)"`, e.g. `{ zone: "a", "lux.io/accelerator-type":
   * "H100" }`. A node lacking a label fails `v` and `in(...)`. With no matching node it stays
   * pending (with one warning) until one joins. See docs/labels-and-gpus.md.
   */
  labelSelector?: Record<string, string>;
  /** Working directory and environment variables of the actor's worker, merged over the job's. */
  runtimeEnv?: RuntimeEnv;
}

/** Options of one actor method call (`handle.method.options({...})`). */
export interface MethodOptions {
  /**
   * Number of return refs, as for a remote function; 0: the call returns no ref (`[]`),
   * its result and any error it throws are dropped (the error is logged by the actor's
   * worker). Default 1. Not for a generator method (each yield is its own ref).
   */
  numReturns?: number;
  /** A generator method: as the task option, the most items the call runs ahead of the consumer. */
  generatorBackpressureNumObjects?: number;
  /**
   * The concurrency group the call runs in, instead of its method's: one of the actor's
   * concurrencyGroups, or "default". Another name throws InvalidOptionError here.
   */
  concurrencyGroup?: string;
}

const TASK_KEYS = new Set([
  "numCpus",
  "numGpus",
  "memory",
  "resources",
  "maxRetries",
  "retryExceptions",
  "numReturns",
  "name",
  "schedulingStrategy",
  "labelSelector",
  "runtimeEnv",
  "generatorBackpressureNumObjects",
  "maxCalls",
]);
const ACTOR_KEYS = new Set([
  "numCpus",
  "numGpus",
  "memory",
  "resources",
  "maxRestarts",
  "maxTaskRetries",
  "maxConcurrency",
  "concurrencyGroups",
  "methods",
  "maxPendingCalls",
  "name",
  "namespace",
  "lifetime",
  "getIfExists",
  "schedulingStrategy",
  "labelSelector",
  "runtimeEnv",
]);
const METHOD_KEYS = new Set(["numReturns", "generatorBackpressureNumObjects", "concurrencyGroup"]);
const RESERVED = new Set(["CPU", "GPU", "memory"]);

function checkKeys(opts: object, allowed: Set<string>, what: string): void {
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new InvalidOptionError({ option: what, expected: "an options object", received: opts });
  }
  for (const key of Object.keys(opts)) {
    if (allowed.has(key)) continue;
    throw new InvalidOptionError({
      option: key,
      expected: `one of the ${what} options: ${[...allowed].join(", ")}`,
    });
  }
}

function nonNegative(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new InvalidOptionError({ option: name, expected: "a finite number >= 0", received: v });
  }
  return v;
}

/**
 * A resource amount: finite, >= 0, and whole above 1 (a fraction of one unit may be
 * shared, as in Ray; 1.5 CPUs cannot be granted).
 */
export function quantity(name: string, v: unknown): number | undefined {
  const amount = nonNegative(name, v);
  if (amount !== undefined && amount > 1 && !Number.isInteger(amount)) {
    throw new InvalidOptionError({ option: name, expected: "a whole number, or a fraction of 1 or less", received: amount });
  }
  return amount;
}

/** A whole number of bytes >= 0. */
function bytes(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidOptionError({ option: name, expected: "a whole number of bytes >= 0", received: v });
  }
  return v;
}

function intAtLeast(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidOptionError({ option: name, expected: `an integer ${range}`, received: v });
  }
  return v;
}

function name(option: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") {
    throw new InvalidOptionError({ option, expected: "a non-empty string", received: v });
  }
  return v;
}

function resources(opts: { numCpus?: unknown; numGpus?: unknown; memory?: unknown; resources?: unknown }, defaultCpus: number): Record<string, number> {
  const r: Record<string, number> = {};
  r["CPU"] = quantity("numCpus", opts.numCpus) ?? defaultCpus;
  const gpus = quantity("numGpus", opts.numGpus);
  if (gpus !== undefined && gpus > 0) r["GPU"] = gpus;
  const memory = bytes("memory", opts.memory);
  if (memory !== undefined && memory > 0) r["memory"] = memory;
  Object.assign(r, customResources(opts.resources, RESERVED));
  if (r["CPU"] === 0) delete r["CPU"];
  return r;
}

/**
 * The `resources` option (of a task, an actor or `lux.init`): an object of resource name to
 * an amount (see `quantity`), none of the names in `reserved` (they have options of their own).
 * Returns the positive amounts.
 */
export function customResources(v: unknown, reserved: ReadonlySet<string>): Record<string, number> {
  const r: Record<string, number> = {};
  if (v === undefined) return r;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidOptionError({ option: "resources", expected: "an object of resource name to amount", received: v });
  }
  for (const [k, q] of Object.entries(v)) {
    if (reserved.has(k)) {
      const instead = { CPU: "numCpus", GPU: "numGpus", memory: "memory" }[k] ?? k;
      throw new InvalidOptionError({ option: `resources.${k}`, expected: `${instead} instead of resources.${k}` });
    }
    const amount = quantity(`resources.${k}`, q);
    if (amount !== undefined && amount > 0) r[k] = amount;
  }
  return r;
}

function strategy(v: unknown, request: Record<string, number>): CompiledStrategy {
  const none = { strategy: undefined, placementGroup: undefined, given: v !== undefined };
  if (v === undefined || v === "DEFAULT") return none;
  if (v === "SPREAD") return { ...none, strategy: v };
  const expected =
    '"DEFAULT", "SPREAD", { nodeId: string, soft: boolean } (node ids from lux.nodes()) or { placementGroup, bundleIndex?, captureChildTasks? }';
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidOptionError({ option: "schedulingStrategy", expected, received: v });
  }
  const fields = v as Record<string, unknown>;
  if ("placementGroup" in fields || "bundleIndex" in fields || "captureChildTasks" in fields) {
    return { ...none, placementGroup: groupPlacement(fields, request) };
  }
  const { nodeId, soft, ...rest } = fields;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) {
    throw new InvalidOptionError({ option: `schedulingStrategy.${extra}`, expected: `only nodeId and soft in ${expected}` });
  }
  if (typeof nodeId !== "string" || nodeId === "") {
    throw new InvalidOptionError({ option: "schedulingStrategy.nodeId", expected: "a node id (a string from lux.nodes())", received: nodeId });
  }
  if (typeof soft !== "boolean") {
    throw new InvalidOptionError({ option: "schedulingStrategy.soft", expected: "a boolean: false to fail when the node is gone, true to fall back", received: soft });
  }
  return { ...none, strategy: { nodeId, soft } };
}

function groupPlacement(fields: Record<string, unknown>, request: Record<string, number>): PlacementGroupPlacement {
  const { placementGroup, bundleIndex = -1, captureChildTasks = false, ...rest } = fields;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) {
    throw new InvalidOptionError({ option: `schedulingStrategy.${extra}`, expected: "only placementGroup, bundleIndex and captureChildTasks in a placement-group strategy" });
  }
  if (!isPlacementGroup(placementGroup)) {
    const option = placementGroup === undefined ? "schedulingStrategy.bundleIndex" : "schedulingStrategy.placementGroup";
    throw new InvalidOptionError({
      option,
      expected: placementGroup === undefined ? "a placementGroup beside bundleIndex or captureChildTasks (a bundle index means nothing without its group)" : "a PlacementGroup (from lux.placementGroup)",
      received: placementGroup,
    });
  }
  const count = placementGroup.bundleSpecs.length;
  if (typeof bundleIndex !== "number" || !Number.isInteger(bundleIndex) || bundleIndex < -1 || bundleIndex >= count) {
    throw new InvalidOptionError({
      option: "schedulingStrategy.bundleIndex",
      expected: `-1 (any bundle) or a bundle index from 0 to ${count - 1} (the group has ${count} bundle${count === 1 ? "" : "s"})`,
      received: bundleIndex,
    });
  }
  if (typeof captureChildTasks !== "boolean") {
    throw new InvalidOptionError({ option: "schedulingStrategy.captureChildTasks", expected: "a boolean", received: captureChildTasks });
  }
  const placement = { placementGroupId: placementGroup.id, bundleIndex, captureChildTasks, bundles: placementGroup.bundleSpecs };
  checkFitsGroup(request, placement);
  return placement;
}

/**
 * `generator`: the function is a generator (its task streams its yields), which takes
 * `generatorBackpressureNumObjects` and refuses `numReturns`.
 */
export function compileTaskOptions(opts: TaskOptions, generator = false): TaskOptionsCompiled & { name: string | undefined } {
  checkKeys(opts, TASK_KEYS, "task");
  const backpressure = generatorBackpressure(opts.generatorBackpressureNumObjects);
  if (generator) refuseNumReturns(opts.numReturns, "function");
  const retry = opts.retryExceptions;
  if (retry !== undefined && typeof retry !== "boolean" && !(Array.isArray(retry) && retry.every((x) => typeof x === "string"))) {
    throw new InvalidOptionError({ option: "retryExceptions", expected: "a boolean or an array of error names", received: retry });
  }
  const held = resources(opts, 1);
  const where = strategy(opts.schedulingStrategy, held);
  const maxCalls = intAtLeast("maxCalls", opts.maxCalls, 0) ?? 0;
  return {
    resources: held,
    maxRetries: intAtLeast("maxRetries", opts.maxRetries, -1) ?? 3,
    retryExceptions: retry ?? false,
    numReturns: intAtLeast("numReturns", opts.numReturns, 1, MAX_NUM_RETURNS) ?? 1,
    name: name("name", opts.name),
    strategy: where.strategy,
    placementGroup: where.placementGroup,
    strategyGiven: where.given,
    labelSelector: checkLabelSelector(opts.labelSelector, "labelSelector"),
    runtimeEnv: checkRuntimeEnv(opts.runtimeEnv),
    ...(generator ? { generatorBackpressure: backpressure } : {}),
    ...(maxCalls > 0 ? { maxCalls } : {}),
  };
}

/** generatorBackpressureNumObjects, checked: 0 when not given (no limit). */
function generatorBackpressure(v: unknown): number {
  return intAtLeast("generatorBackpressureNumObjects", v, 1) ?? 0;
}

function refuseNumReturns(v: unknown, what: "function" | "method"): void {
  if (v === undefined) return;
  throw new InvalidOptionError({
    option: "numReturns",
    expected: `no numReturns for a generator ${what}: each value it yields is its own ref (iterate the ObjectRefGenerator .remote() returns)`,
    received: v,
  });
}

export interface ActorOptionsInput extends ActorOptions {
  [key: string]: unknown;
}

/** `methods`: the class's method names (as methodNames lists them), to check the `methods` option by. */
export function compileActorOptions(opts: ActorOptions, defaultNamespace: string, methods?: readonly string[]) {
  checkKeys(opts, ACTOR_KEYS, "actor");
  const lifetime = opts.lifetime;
  if (lifetime !== undefined && lifetime !== "detached" && lifetime !== "nonDetached") {
    throw new InvalidOptionError({ option: "lifetime", expected: '"detached" or "nonDetached"', received: lifetime });
  }
  if (opts.getIfExists !== undefined && typeof opts.getIfExists !== "boolean") {
    throw new InvalidOptionError({ option: "getIfExists", expected: "a boolean", received: opts.getIfExists });
  }
  const actorName = name("name", opts.name);
  if (opts.getIfExists === true && actorName === undefined) {
    throw new InvalidOptionError({ option: "getIfExists", expected: "to be used together with name" });
  }
  if (lifetime === "detached" && actorName === undefined) {
    throw new InvalidOptionError({ option: "lifetime", expected: 'a name with lifetime "detached" (so the actor can be found and killed later)' });
  }
  const held = resources(opts, 0);
  const where = strategy(opts.schedulingStrategy, held);
  return {
    resources: held,
    // As in Ray: without numCpus an actor needs a CPU to be placed but holds none while it
    // runs. Not in a placement group: the group's reservation already made room.
    placementResources: opts.numCpus === undefined && where.placementGroup === undefined ? { CPU: 1, ...held } : undefined,
    name: actorName,
    namespace: name("namespace", opts.namespace) ?? defaultNamespace,
    getIfExists: opts.getIfExists ?? false,
    detached: lifetime === "detached",
    // Undefined: decided by the worker from the class (see actor-class.ts).
    maxConcurrency: intAtLeast("maxConcurrency", opts.maxConcurrency, 1),
    ...callOptions(opts, methods),
    maxRestarts: intAtLeast("maxRestarts", opts.maxRestarts, -1) ?? 0,
    maxTaskRetries: intAtLeast("maxTaskRetries", opts.maxTaskRetries, -1) ?? 0,
    strategy: where.strategy,
    placementGroup: where.placementGroup,
    strategyGiven: where.given,
    labelSelector: checkLabelSelector(opts.labelSelector, "labelSelector"),
    runtimeEnv: checkRuntimeEnv(opts.runtimeEnv),
  };
}

/**
 * `generator`: the method is a generator (see compileTaskOptions). `groups`: the actor's
 * concurrency groups (besides the default one), to check `concurrencyGroup` by.
 */
export function compileMethodOptions(
  opts: MethodOptions,
  generator = false,
  groups: readonly string[] = [],
): { numReturns: number; generatorBackpressure: number; concurrencyGroup: string | undefined } {
  checkKeys(opts, METHOD_KEYS, "actor method");
  if (generator) refuseNumReturns(opts.numReturns, "method");
  return {
    numReturns: intAtLeast("numReturns", opts.numReturns, 0, MAX_NUM_RETURNS) ?? 1,
    generatorBackpressure: generatorBackpressure(opts.generatorBackpressureNumObjects),
    concurrencyGroup: callGroup(opts.concurrencyGroup, groups),
  };
}

/** A PlacementGroup (by shape: a copy of lux loaded twice makes groups of another class). */
function isPlacementGroup(v: unknown): v is PlacementGroup {
  if (v === null || typeof v !== "object") return false;
  const { id, bundleSpecs } = v as { id?: unknown; bundleSpecs?: unknown };
  return typeof id === "string" && id.startsWith("pg-") && Array.isArray(bundleSpecs);
}
