/**
 * The five targets: each knows its server's address and process, makes and plays sessions,
 * and sends the valid request that shows the server still serves (its probe).
 */
import { rpcPeerOptions } from "@lux/common";
import { CoreWorkerService, GcsService, RayletService, connectRpc, type RpcConnection, type ServiceDef, type ServiceSpec } from "@lux/protocol";
import { MADE_UP_IDS, coreWorkerRequests, gcsRequests, rayletRequests, type RequestIds } from "@lux/testing";
import type { FuzzEnv } from "./cluster.js";
import { httpSession, type HttpSession } from "./http-inputs.js";
import { playHttpSession, probeHttp, sourceAddress } from "./http-target.js";
import { listeningPid } from "./processes.js";
import type { Random } from "./random.js";
import { rpcSession, type RpcInputSpec, type RpcSession, type Seed } from "./rpc-inputs.js";
import { playRpcSession } from "./rpc-target.js";
import { hostPort } from "./wire.js";

export const TARGET_NAMES = ["gcs", "raylet", "worker", "transfer", "http"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export type Session = RpcSession | HttpSession;

export interface Outcome {
  closedByServer: boolean;
  /** What the server answered, by kind: error names (RPC) or "HTTP nnn". */
  answers: string[];
  /** Answers that suggest a bug (an internal error, an HTTP 5xx), each with what it said. */
  samples: [string, string][];
}

export interface Target {
  readonly name: TargetName;
  readonly address: string;
  readonly pid: number | undefined;
  session(r: Random): Session;
  play(session: Session): Promise<Outcome>;
  /** A valid request: resolves if it was answered right, rejects otherwise. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** Control messages: the server's own limit (config maxFrameBytes, default 256 MiB). */
const MAX_FRAME_BYTES = 256 * 1024 * 1024;
const PROBE_TIMEOUT_MS = 10_000;

const seedsOf = (requests: object): Seed[] => Object.entries(requests);

function transferSeeds(env: FuzzEnv): Seed[] {
  const objectId = env.object.id;
  const size = env.object.bytes.length;
  return [
    ["getObject", { objectId }],
    ["openTransfer", { objectId, puller: MADE_UP_IDS.nodeId }],
    ["readObjectChunk", { objectId, offset: 0, length: 4096 }],
    ["readObjectChunk", { objectId, offset: size - 16, length: 16 }],
    ["readObjectChunk", { objectId, offset: size, length: 1 }],
    ["readObjectChunk", { objectId, offset: 0, length: size }],
    ["pullObject", { objectId, sources: [env.nodeId], ownerAddress: MADE_UP_IDS.address, priority: "arg" }],
    ["releaseObjects", { objectIds: [objectId] }],
    ["getStoreInfo", {}],
    ["createObject", { objectId: MADE_UP_IDS.objectId, size: 64, ownerAddress: MADE_UP_IDS.address, wait: false }],
    ["sealObject", { objectId: MADE_UP_IDS.objectId }],
    ["freeObjects", { objectIds: [MADE_UP_IDS.objectId] }],
  ];
}

interface RpcPlan {
  service: ServiceSpec;
  address: string;
  seeds: Seed[];
  unsafe: string[];
  probeMethod: string;
  probe: (connection: RpcConnection<ServiceDef>) => Promise<void>;
  preludes?: Seed[];
}

function rpcPlan(name: Exclude<TargetName, "http">, env: FuzzEnv): RpcPlan {
  let stored: Buffer | undefined;
  const ids: RequestIds = { ...MADE_UP_IDS, actorId: env.actor.info.actorId };
  const call = (c: RpcConnection<ServiceDef>, method: string, body: unknown): Promise<unknown> => c.call(method as never, body as never, PROBE_TIMEOUT_MS);
  switch (name) {
    case "gcs":
      return {
        service: GcsService,
        address: env.gcsAddress,
        seeds: seedsOf(gcsRequests()),
        // Actors and placement groups start workers and take resources; a node joins the view;
        // a drained node takes no more work.
        unsafe: ["createActor", "createPlacementGroup", "registerNode", "drainNode"],
        probeMethod: "getControlServiceInfo",
        probe: async (c) => expect((await call(c, "getNodes", {})) as unknown[], (nodes) => nodes.length > 0, "getNodes listed no node"),
      };
    case "raylet":
      return {
        service: RayletService,
        address: env.rayletAddress,
        seeds: seedsOf(rayletRequests()),
        // Leases and prestarts start workers, bundles take resources, a view adds nodes to schedule on,
        // a drain takes the node out of scheduling.
        unsafe: ["requestLease", "prestartWorkers", "prepareBundles", "updateClusterView", "killWorker", "drainNode"],
        // As a driver of the node, the session is asked for its references (listObjects) and sent output.
        preludes: [["registerClient", { address: MADE_UP_IDS.address, jobId: MADE_UP_IDS.jobId, pid: 1 }]],
        probeMethod: "ping",
        probe: async (c) => expect((await call(c, "getNodeInfo", {})) as { nodeId: string }, (info) => info.nodeId === env.nodeId, "getNodeInfo named another node"),
      };
    case "transfer":
      return {
        service: RayletService,
        address: env.rayletAddress,
        seeds: transferSeeds(env),
        // Freeing the real object (another seed's body under this method) would fail the probe, not the raylet.
        unsafe: ["freeObjects", "requestLease", "prestartWorkers", "prepareBundles", "updateClusterView", "killWorker", "drainNode"],
        probeMethod: "ping",
        probe: async (c) => {
          const { size } = (await call(c, "getObject", { objectId: env.object.id })) as { size: number };
          const { data } = (await call(c, "readObjectChunk", { objectId: env.object.id, offset: 0, length: size })) as { data: Uint8Array };
          await call(c, "releaseObjects", { objectIds: [env.object.id] });
          // The stored form of the value: its first read is what every later one must return.
          stored ??= Buffer.from(data);
          expect(Buffer.from(data), (d) => d.length >= env.object.bytes.length && d.equals(stored as Buffer), "readObjectChunk returned other bytes than at first");
        },
      };
    case "worker":
      return {
        service: CoreWorkerService,
        address: env.actor.info.address ?? "",
        seeds: seedsOf(coreWorkerRequests(ids)),
        // `exit` ends the worker; another actor created on it would replace the fuzzed one.
        unsafe: ["exit", "createActor"],
        probeMethod: "ping",
        probe: async (c) => {
          await call(c, "ping", {});
          expect(await env.actor.ping(), (pong) => pong === "pong", "the actor's ping did not answer pong");
        },
      };
  }
}

function expect<T>(value: T, ok: (v: T) => boolean, problem: string): void {
  if (!ok(value)) throw new Error(problem);
}

async function rpcTarget(name: Exclude<TargetName, "http">, env: FuzzEnv): Promise<Target> {
  const plan = rpcPlan(name, env);
  const spec: RpcInputSpec = {
    service: plan.service,
    seeds: plan.seeds,
    unsafe: new Set(plan.unsafe),
    maxFrameBytes: MAX_FRAME_BYTES,
    ...(plan.preludes !== undefined ? { preludes: plan.preludes } : {}),
  };
  const monitor = await connectRpc<ServiceDef>(plan.address, rpcPeerOptions(env.token));
  return {
    name,
    address: plan.address,
    pid: listeningPid(plan.address),
    session: (r) => rpcSession(r, spec),
    play: async (s) => {
      const outcome = await playRpcSession(plan.address, env.token, plan.probeMethod, s as RpcSession);
      return { closedByServer: outcome.closedByServer, answers: outcome.errors, samples: outcome.samples };
    },
    probe: () => plan.probe(monitor),
    close: () => Promise.resolve(monitor.close()),
  };
}

function httpTarget(env: FuzzEnv): Target {
  const url = env.dashboardUrl;
  if (url === undefined) throw new Error("the cluster runs no HTTP server (start its head with the dashboard) for the http target");
  const { host, port } = hostPort(new URL(url).host);
  const address = `${host}:${port}`;
  return {
    name: "http",
    address,
    pid: listeningPid(address),
    session: (r) => {
      const from = sourceAddress(r, address);
      return { ...httpSession(r, env.nodeId), ...(from !== undefined ? { from } : {}) };
    },
    play: async (s) => {
      const outcome = await playHttpSession(address, env.token, s as HttpSession);
      return { closedByServer: outcome.closedByServer, answers: outcome.statuses.map((code) => `HTTP ${code}`), samples: outcome.samples };
    },
    probe: () => probeHttp(url, env.token),
    close: () => Promise.resolve(),
  };
}

export function openTarget(name: TargetName, env: FuzzEnv): Promise<Target> {
  return name === "http" ? Promise.resolve(httpTarget(env)) : rpcTarget(name, env);
}
