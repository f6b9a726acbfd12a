/**
 * What travels between the driver, the controller, the replicas and the proxies: plain
 * values (and Lux handles), never classes of this package.
 */
import type { ActorHandle, Shipped } from "lux";
import type { CompiledOptions, DeploymentOptions } from "./options.js";

/** The controller's name and namespace (pinned: other jobs find it by them). */
export const CONTROLLER_NAME = "SERVE_CONTROLLER_ACTOR";
export const SERVE_NAMESPACE = "serve";

/** What a deployment runs: a shipped class or function, and the fastify routes of `serve.ingress`. */
export interface TargetSpec {
  kind: "class" | "function" | "routes";
  shipped: Shipped<unknown>;
  name: string;
  /** `serve.ingress(routes)`: the routes function, shipped. */
  routes?: Shipped<unknown>;
}

/** One deployment of an application, as the controller runs it. */
export interface DeploymentSpec {
  name: string;
  target: TargetSpec;
  /** Constructor arguments; bound deployments replaced by HandleMarkers. */
  initArgs: unknown[];
  /** The options as given (compared on redeploy), and compiled. */
  given: DeploymentOptions;
  options: CompiledOptions;
  /**
   * Same code, constructor arguments and options but userConfig, numReplicas and
   * autoscalingConfig: replicas of the same version are kept (reconfigured, rescaled).
   */
  version: string;
}

export interface AppSpec {
  name: string;
  /** Where the proxies route HTTP to its ingress; null: reachable by handle only. */
  routePrefix: string | null;
  ingress: string;
  deployments: DeploymentSpec[];
}

/** A bound deployment in constructor arguments, revived as a DeploymentHandle in the replica. */
export interface HandleMarker {
  __luxServeHandle: { app: string; deployment: string };
}

export function isHandleMarker(value: unknown): value is HandleMarker {
  return typeof value === "object" && value !== null && "__luxServeHandle" in value;
}

/** Identifies a deployment across the cluster: `app#deployment`. */
export const deploymentKey = (app: string, deployment: string): string => `${app}#${deployment}`;

/** A running replica as routers see it. */
export interface ReplicaRef {
  id: string;
  actor: ActorHandle<unknown>;
  nodeId: string;
}

/** What routers of one deployment are told (the long-poll value of its key). */
export interface DeploymentRoutes {
  replicas: ReplicaRef[];
  maxOngoingRequests: number;
  maxQueuedRequests: number;
  /** Set when the deployment is deleted: requests fail with ApplicationNotFoundError. */
  deleted?: boolean;
  /** Autoscaled deployments: how often handles report their requests (ms). */
  metricsIntervalMs?: number;
}

/** The proxies' route table (long-poll key "routes"): prefix → application and its ingress. */
export interface RouteTable {
  routes: { prefix: string; app: string; ingress: string }[];
}

/** Per-request information every call to a replica carries. */
export interface RequestMeta {
  requestId: string;
  /** `app#deployment` of the caller's handle (logs). */
  route?: string;
}

/** An HTTP request as the proxy sends it to the ingress replica. */
export interface HttpRequestData {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  /** Host the client asked for (Request's URL). */
  host: string;
  /** The routePrefix that matched (fastify ingress routes see the path below it). */
  routePrefix: string;
}

/** A replica's answer to an HTTP request: whole, or the head of a stream to read with `streamHttp`. */
export type HttpResponseData =
  | { kind: "full"; status: number; headers: Record<string, string>; body: Uint8Array | string }
  | { kind: "stream"; status: number; headers: Record<string, string>; streamId: string };

export const LONG_POLL_ROUTES_KEY = "routes";

/** The `http` options of `serve.start` (also the YAML's `http`). */
export interface HttpOptions {
  /** Address each proxy binds. Default "127.0.0.1" (another reaches the network: the proxy has no auth). */
  host?: string;
  /** Port each proxy binds; 0 picks a free one per node. Default 8000. */
  port?: number;
  /** A request that takes longer is answered 408 (its replica call is cancelled). Default: no limit. */
  requestTimeoutMs?: number;
  /** Bodies larger than this are refused with 413. Default 100 MiB. */
  bodyMaxBytes?: number;
  /**
   * A PEM certificate (chain) file: with `sslKeyfile`, every proxy serves HTTPS (TLS 1.2 or
   * 1.3) instead of HTTP. Both paths must be readable on every node that runs a proxy.
   */
  sslCertfile?: string;
  /** The PEM private key of `sslCertfile`. */
  sslKeyfile?: string;
}

export const HTTP_OPTION_KEYS: readonly string[] = ["host", "port", "requestTimeoutMs", "bodyMaxBytes", "sslCertfile", "sslKeyfile"];

export type CompiledHttpOptions = Required<Omit<HttpOptions, "requestTimeoutMs" | "sslCertfile" | "sslKeyfile">> & {
  requestTimeoutMs: number | undefined;
  /** Absolute paths, both or neither. */
  ssl: { certfile: string; keyfile: string } | undefined;
};

export interface ProxyStatus {
  nodeId: string;
  status: "STARTING" | "HEALTHY" | "UNHEALTHY";
  /** Where it listens, e.g. "http://127.0.0.1:8000". */
  url: string | undefined;
  pid: number | undefined;
  message: string;
}

export type ApplicationStatus = "NOT_STARTED" | "DEPLOYING" | "RUNNING" | "UNHEALTHY" | "DEPLOY_FAILED" | "DELETING";
export type DeploymentStatus = "UPDATING" | "HEALTHY" | "UNHEALTHY" | "DEPLOY_FAILED" | "UPSCALING" | "DOWNSCALING";

export interface ReplicaStatus {
  replicaId: string;
  state: "STARTING" | "RUNNING" | "STOPPING";
  pid: number | undefined;
  nodeId: string | undefined;
  version: string;
}

export interface DeploymentStatusInfo {
  name: string;
  status: DeploymentStatus;
  message: string;
  /** Replicas by state (RUNNING, STARTING, STOPPING). */
  replicaStates: Record<string, number>;
  /** What the deployment aims at now (numReplicas, or the autoscaler's decision). */
  targetReplicas: number;
  replicas: ReplicaStatus[];
}

export interface ApplicationStatusInfo {
  name: string;
  status: ApplicationStatus;
  message: string;
  routePrefix: string | null;
  ingress: string;
  lastDeployedAt: number;
  deployments: Record<string, DeploymentStatusInfo>;
}

/** `serve.status()`. */
export interface ServeStatus {
  proxies: Record<string, ProxyStatus>;
  applications: Record<string, ApplicationStatusInfo>;
  http: CompiledHttpOptions | undefined;
  /** The controller's process (for operators). */
  controller: { pid: number; nodeId: string } | undefined;
}
