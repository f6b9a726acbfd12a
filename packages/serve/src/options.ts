/**
 * A deployment's options: their types, their defaults, and the checks that name the option
 * that is wrong (`InvalidOptionError`) where it is given, in the driver, before anything is sent.
 */
import { InvalidOptionError, type ActorOptions } from "lux";

/** Autoscaling on ongoing + queued requests (see docs/serve.md, "Autoscaling"). */
export interface AutoscalingConfig {
  /** Fewest replicas; 0 scales to zero when idle (the next request waits for a cold start). Default 1. */
  minReplicas?: number;
  /** Most replicas. Default 1 (or minReplicas when larger). */
  maxReplicas?: number;
  /** Replicas at deploy time. Default minReplicas (1 when minReplicas is 0, so the first request is quick). */
  initialReplicas?: number;
  /** Ongoing + queued requests per replica the autoscaler aims at. Default 2. */
  targetOngoingRequests?: number;
  /** How long the demand must call for more replicas before they are added. Default 30,000 ms. */
  upscaleDelayMs?: number;
  /** How long the demand must call for fewer replicas before they are removed. Default 600,000 ms. */
  downscaleDelayMs?: number;
  /** The window the demand is averaged over. Default 30,000 ms. */
  lookBackPeriodMs?: number;
  /** How often each handle and proxy reports its requests to the controller. Default 10,000 ms. */
  metricsIntervalMs?: number;
  /** Multiplies each step up (1: straight to the replicas the demand asks for). Default 1. */
  upscalingFactor?: number;
  /** Multiplies each step down. Default 1. */
  downscalingFactor?: number;
}

/** Options of `serve.deployment(target, options)` and `Deployment.options(options)`. */
export interface DeploymentOptions {
  /** The deployment's name, unique in its application. Default: the class's (function's) name. */
  name?: string;
  /** Replicas to run (not with autoscalingConfig). Default 1. */
  numReplicas?: number;
  /** Requests one replica runs at once; more wait (in the handle or proxy) for a free replica. Default 5. */
  maxOngoingRequests?: number;
  /** Requests that may wait for a replica per handle or proxy; past it, `BackPressureError` (HTTP 503). Default -1: no limit. */
  maxQueuedRequests?: number;
  /** Options of each replica's actor: resources, scheduling, runtimeEnv. */
  actorOptions?: ReplicaActorOptions;
  /** Given to the replica's `reconfigure(userConfig)` at start and on every redeploy that changes only it. */
  userConfig?: unknown;
  /** Scale the replicas to the requests (see AutoscalingConfig). */
  autoscalingConfig?: AutoscalingConfig;
  /** How often the controller calls each replica's `checkHealth()`. Default 10,000 ms. */
  healthCheckPeriodMs?: number;
  /** A `checkHealth()` slower than this fails it. Default 30,000 ms. */
  healthCheckTimeoutMs?: number;
  /** How long a stopping replica may take to finish its requests before it is killed. Default 20,000 ms. */
  gracefulShutdownTimeoutMs?: number;
}

/** The actor options a deployment may set for its replicas (the rest are serve's). */
export type ReplicaActorOptions = Pick<
  ActorOptions,
  "numCpus" | "numGpus" | "memory" | "resources" | "schedulingStrategy" | "runtimeEnv" | "labelSelector"
>;

const ACTOR_OPTION_KEYS: ReadonlySet<string> = new Set(["numCpus", "numGpus", "memory", "resources", "schedulingStrategy", "runtimeEnv", "labelSelector"]);

/** Every key of DeploymentOptions (the YAML's deployment keys too). */
export const DEPLOYMENT_OPTION_KEYS: readonly string[] = [
  "name",
  "numReplicas",
  "maxOngoingRequests",
  "maxQueuedRequests",
  "actorOptions",
  "userConfig",
  "autoscalingConfig",
  "healthCheckPeriodMs",
  "healthCheckTimeoutMs",
  "gracefulShutdownTimeoutMs",
];

export const AUTOSCALING_KEYS: readonly string[] = [
  "minReplicas",
  "maxReplicas",
  "initialReplicas",
  "targetOngoingRequests",
  "upscaleDelayMs",
  "downscaleDelayMs",
  "lookBackPeriodMs",
  "metricsIntervalMs",
  "upscalingFactor",
  "downscalingFactor",
];

/** AutoscalingConfig with every default filled in. */
export type CompiledAutoscaling = Required<AutoscalingConfig>;

/** A deployment's options as the controller runs them: every default filled in. */
export interface CompiledOptions {
  numReplicas: number;
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  actorOptions: ReplicaActorOptions;
  userConfig: unknown;
  autoscalingConfig: CompiledAutoscaling | undefined;
  healthCheckPeriodMs: number;
  healthCheckTimeoutMs: number;
  gracefulShutdownTimeoutMs: number;
}

function fail(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}

function integer(option: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) fail(option, `an integer >= ${min}`, value);
  return value;
}

function positive(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(option, "a number > 0", value);
  return value;
}

function milliseconds(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(option, "a number of milliseconds >= 0", value);
  return value;
}

/** Checks options as given (unknown keys, types, ranges); throws InvalidOptionError naming the first one wrong. */
export function checkDeploymentOptions(options: DeploymentOptions, where = ""): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) fail(`${where}options`, "an object", options);
  for (const key of Object.keys(options)) {
    if (!DEPLOYMENT_OPTION_KEYS.includes(key)) fail(`${where}${key}`, `one of the deployment options: ${DEPLOYMENT_OPTION_KEYS.join(", ")}`, key);
  }
  const o = options as Record<string, unknown>;
  if (o["name"] !== undefined && (typeof o["name"] !== "string" || !/^[\w.-]{1,100}$/.test(o["name"]))) {
    fail(`${where}name`, "a name of letters, digits, _, . and - (1 to 100)", o["name"]);
  }
  if (o["numReplicas"] !== undefined) integer(`${where}numReplicas`, o["numReplicas"], 0);
  if (o["maxOngoingRequests"] !== undefined) integer(`${where}maxOngoingRequests`, o["maxOngoingRequests"], 1);
  if (o["maxQueuedRequests"] !== undefined) {
    const q = o["maxQueuedRequests"];
    if (typeof q !== "number" || !Number.isInteger(q) || q < -1) fail(`${where}maxQueuedRequests`, "an integer >= 0, or -1 for no limit", q);
  }
  for (const key of ["healthCheckPeriodMs", "healthCheckTimeoutMs", "gracefulShutdownTimeoutMs"]) {
    if (o[key] !== undefined) milliseconds(`${where}${key}`, o[key]);
  }
  if (o["healthCheckPeriodMs"] !== undefined) positive(`${where}healthCheckPeriodMs`, o["healthCheckPeriodMs"]);
  if (o["healthCheckTimeoutMs"] !== undefined) positive(`${where}healthCheckTimeoutMs`, o["healthCheckTimeoutMs"]);
  checkActorOptions(o["actorOptions"], `${where}actorOptions`);
  if (o["autoscalingConfig"] !== undefined) {
    if (o["numReplicas"] !== undefined) {
      fail(`${where}numReplicas`, "to be left out when autoscalingConfig is given (the autoscaler sets the replicas: use autoscalingConfig.minReplicas/maxReplicas)", o["numReplicas"]);
    }
    checkAutoscaling(o["autoscalingConfig"], `${where}autoscalingConfig`);
  }
}

function checkActorOptions(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(option, "an object of actor options", value);
  for (const key of Object.keys(value)) {
    if (!ACTOR_OPTION_KEYS.has(key)) fail(`${option}.${key}`, `one of ${[...ACTOR_OPTION_KEYS].join(", ")} (serve sets the others)`, key);
  }
}

function checkAutoscaling(value: unknown, option: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(option, "an object", value);
  const a = value as Record<string, unknown>;
  for (const key of Object.keys(a)) if (!AUTOSCALING_KEYS.includes(key)) fail(`${option}.${key}`, `one of ${AUTOSCALING_KEYS.join(", ")}`, key);
  for (const key of ["minReplicas", "maxReplicas", "initialReplicas"]) if (a[key] !== undefined) integer(`${option}.${key}`, a[key], 0);
  if (a["maxReplicas"] !== undefined) integer(`${option}.maxReplicas`, a["maxReplicas"], 1);
  for (const key of ["targetOngoingRequests", "upscalingFactor", "downscalingFactor", "metricsIntervalMs", "lookBackPeriodMs"]) {
    if (a[key] !== undefined) positive(`${option}.${key}`, a[key]);
  }
  for (const key of ["upscaleDelayMs", "downscaleDelayMs"]) if (a[key] !== undefined) milliseconds(`${option}.${key}`, a[key]);
  const min = (a["minReplicas"] as number | undefined) ?? 1;
  const max = a["maxReplicas"] as number | undefined;
  if (max !== undefined && min > max) fail(`${option}.minReplicas`, `at most maxReplicas (${max})`, min);
  const initial = a["initialReplicas"] as number | undefined;
  if (initial !== undefined && (initial < min || initial > (max ?? Math.max(min, 1)))) {
    fail(`${option}.initialReplicas`, `between minReplicas (${min}) and maxReplicas (${max ?? Math.max(min, 1)})`, initial);
  }
}

/** Fills in the defaults of autoscalingConfig. */
export function compileAutoscaling(a: AutoscalingConfig): CompiledAutoscaling {
  const minReplicas = a.minReplicas ?? 1;
  const maxReplicas = a.maxReplicas ?? Math.max(minReplicas, 1);
  return {
    minReplicas,
    maxReplicas,
    initialReplicas: a.initialReplicas ?? Math.max(minReplicas, 1),
    targetOngoingRequests: a.targetOngoingRequests ?? 2,
    upscaleDelayMs: a.upscaleDelayMs ?? 30_000,
    downscaleDelayMs: a.downscaleDelayMs ?? 600_000,
    lookBackPeriodMs: a.lookBackPeriodMs ?? 30_000,
    metricsIntervalMs: a.metricsIntervalMs ?? 10_000,
    upscalingFactor: a.upscalingFactor ?? 1,
    downscalingFactor: a.downscalingFactor ?? 1,
  };
}

/** Checked options with every default filled in. */
export function compileOptions(options: DeploymentOptions): CompiledOptions {
  const autoscaling = options.autoscalingConfig === undefined ? undefined : compileAutoscaling(options.autoscalingConfig);
  return {
    numReplicas: autoscaling?.initialReplicas ?? options.numReplicas ?? 1,
    maxOngoingRequests: options.maxOngoingRequests ?? 5,
    maxQueuedRequests: options.maxQueuedRequests ?? -1,
    actorOptions: options.actorOptions ?? {},
    userConfig: options.userConfig,
    autoscalingConfig: autoscaling,
    healthCheckPeriodMs: options.healthCheckPeriodMs ?? 10_000,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? 30_000,
    gracefulShutdownTimeoutMs: options.gracefulShutdownTimeoutMs ?? 20_000,
  };
}
