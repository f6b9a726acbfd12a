import type { GcsService, RayletService, RpcConnection, ServiceDef } from "@lux/protocol";
import { RpcServer } from "@lux/protocol";
import { createLogger, rpcPeerOptions } from "@lux/common";
import { ActorManager } from "./actor-manager.js";
import { JobManager } from "./job-manager.js";
import { KvManager } from "./kv-manager.js";
import { HealthChecker } from "./health-checker.js";
import { NodeManager } from "./node-manager.js";
import { ResourceViewManager } from "./resource-view.js";
import type { GcsStorage } from "./storage.js";

const log = createLogger("gcs");

export interface GcsServerOptions {
  address: string;
  token: string;
  storage: GcsStorage;
}

/** The control service: one manager per domain behind one RPC server. */
export class GcsServer {
  readonly nodes = new NodeManager();
  private readonly health = new HealthChecker(this.nodes);
  readonly view = new ResourceViewManager(this.nodes);
  readonly jobs = new JobManager();
  readonly kv: KvManager;
  readonly actors: ActorManager;
  private server: RpcServer<GcsService> | undefined;

  constructor(private readonly options: GcsServerOptions) {
    this.kv = new KvManager(options.storage);
    this.actors = new ActorManager(this.nodes, options.token, this.view);
    this.jobs.onJobEnd((jobId) => {
      this.actors.onJobEnd(jobId);
      for (const n of this.nodes.alive()) n.connection.call("jobFinished", { jobId }).catch(() => undefined);
    });
  }

  get address(): string {
    if (this.server === undefined) throw new Error("control service is not started");
    return this.server.address;
  }

  async start(): Promise<void> {
    this.server = await RpcServer.listen<GcsService>({
      ...rpcPeerOptions(this.options.token, log),
      address: this.options.address,
      handlers: {
        registerNode: (req, conn) => {
          this.nodes.register({ ...req }, conn as unknown as RpcConnection<RayletService>);
          return { ok: true };
        },
        registerJob: (req, conn) => {
          this.jobs.register(req, conn as unknown as RpcConnection<never>);
          return { ok: true };
        },
        getJob: (req) => {
          const job = this.jobs.get(req.jobId);
          if (job === undefined) throw new Error(`unknown job ${req.jobId}`);
          return job;
        },
        getNodes: () => this.nodes.list(),
        getClusterResources: () => this.nodes.resources(),
        getPendingDemand: async () => {
          const perNode = await Promise.all(
            this.nodes.alive().map((n) => n.connection.call("getPendingDemand", {}, 5000).catch(() => [])),
          );
          return [...perNode.flat(), ...this.actors.pendingDemand()];
        },
        reportResources: (req) => {
          this.view.report(req.nodeId, req.total, req.available);
          return { ok: true };
        },
        getClusterView: () => this.view.list(),
        kvPut: (req) => this.kv.put(req),
        kvGet: (req) => this.kv.get(req.key),
        kvExists: async (req) => ({ exists: (await this.kv.get(req.key)).value !== undefined }),
        createActor: (req) => this.actors.create(req),
        getActorInfo: (req) => this.actors.info(req.actorId, req.waitAlive),
        getNamedActor: (req) => this.actors.named(req.name, req.namespace),
        killActor: (req) => {
          this.actors.kill(req.actorId, req.noRestart);
          return { ok: true };
        },
        reportWorkerDeath: (req) => {
          this.actors.onWorkerDeath(req.workerId, req.reason);
          return { ok: true };
        },
      },
    });
    this.health.start();
    log.info(`control service listening on ${this.server.address} (storage: ${this.options.storage.kind})`);
  }

  async close(): Promise<void> {
    this.health.stop();
    await this.server?.close();
    await this.options.storage.close();
  }
}

export type { ServiceDef };
