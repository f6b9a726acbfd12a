import { RayletService, type LeaseGrant, type LeaseReply, type LeaseRequest, type ResourceSet } from "@lux/protocol";
import type { FakeNetwork } from "./fake-network.js";
import { FakePeer, OK } from "./fake-peer.js";
import { FakeWorker } from "./fake-worker.js";

/** Another node's raylet, as a spillback names it. */
export interface SpillbackTarget {
  nodeId: string;
  address: string;
}

/** A requestLease a FakeRaylet received; the script or the test answers it once (later answers are ignored). */
export class LeaseRequestHandle {
  private answered = false;

  constructor(
    readonly request: LeaseRequest,
    private readonly raylet: FakeRaylet,
    private readonly resolve: (reply: LeaseReply) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Whether it was answered (granted, spilled, failed or withdrawn). */
  get settled(): boolean {
    return this.answered;
  }

  /** Leases `worker` (reached through its address; `socket`: also through a Unix socket path on the node). */
  grant(worker: FakeWorker, options: { gpuIds?: number[]; socket?: string } = {}): LeaseGrant {
    const grant = this.raylet.lease(worker, this.request, options);
    this.answer(grant);
    return grant;
  }

  /** "Ask that node's raylet instead." */
  spillback(to: SpillbackTarget): void {
    this.answer({ spillback: { nodeId: to.nodeId, address: to.address } });
  }

  /** The request fails with `error` (e.g. the worker could not start). */
  fail(error: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.reject(error);
  }

  /** Withdrawn (cancelLeaseRequest): answered `{ cancelled: true }`. */
  cancel(): void {
    this.answer({ cancelled: true });
  }

  private answer(reply: LeaseReply): void {
    if (this.answered) return;
    this.answered = true;
    this.resolve(reply);
  }
}

/** A lease a FakeRaylet granted and that was not returned. */
export interface FakeLease {
  grant: LeaseGrant;
  worker: FakeWorker;
  request: LeaseRequest;
}

export interface FakeRayletOptions {
  /** Default: "node-" and a counter. */
  nodeId?: string;
  /** Default: a new address of the network, "raylet-N". */
  address?: string;
  /** What getResources reports as total and available. Default: one CPU. */
  resources?: ResourceSet;
}

/**
 * A node's raylet in memory. Lease requests are answered by its script (default: held for
 * the test, see `nextLease` and `leases`): grant a FakeWorker, spill back to another
 * raylet, fail, or hold. Like a real raylet it answers a withdrawn request
 * `{ cancelled: true }`, kills a worker on killWorker or on a lease returned with
 * `disconnect` or `workerExiting`, and says how a dead worker ended (getWorkerExit). Every call is recorded.
 */
export class FakeRaylet extends FakePeer<RayletService> {
  readonly nodeId: string;
  /** Every lease request received, in arrival order. */
  readonly leases: LeaseRequestHandle[] = [];
  /** Leases granted and not returned, by lease id. */
  readonly granted = new Map<string, FakeLease>();
  /** Workers it leased or was given (`adopt`), by worker id: killWorker and getWorkerExit find them here. */
  readonly workers = new Map<string, FakeWorker>();
  private readonly resources: ResourceSet;
  private script: (lease: LeaseRequestHandle) => void = () => undefined;
  private nextLeaseId = 0;
  private taken = 0;
  private readonly leaseWaiters: ((lease: LeaseRequestHandle) => void)[] = [];

  constructor(network: FakeNetwork, options: FakeRayletOptions = {}) {
    const address = options.address ?? network.address("raylet");
    super(network, address, RayletService);
    this.nodeId = options.nodeId ?? `node-${address}`;
    this.resources = options.resources ?? { CPU: 1 };
    this.serveLeases();
    this.serveWorkers();
    this.serveNode();
  }

  /** Answers each lease request from now on with `script` (which may also leave it for later). */
  onLease(script: (lease: LeaseRequestHandle) => void): void {
    this.script = script;
  }

  /** Grants each request from now on a new FakeWorker (they are in `workers`). */
  grantNewWorkers(): void {
    this.onLease((lease) => lease.grant(new FakeWorker(this.network)));
  }

  /** The next lease request not taken by an earlier `nextLease` (waits for one). */
  nextLease(): Promise<LeaseRequestHandle> {
    const lease = this.leases[this.taken];
    if (lease !== undefined) {
      this.taken++;
      return Promise.resolve(lease);
    }
    return new Promise((resolve) => this.leaseWaiters.push(resolve));
  }

  /** Lease requests not answered yet. */
  get pendingLeases(): LeaseRequestHandle[] {
    return this.leases.filter((l) => !l.settled);
  }

  /** Knows `worker` as one of its node's (for killWorker and getWorkerExit). */
  adopt(worker: FakeWorker): void {
    this.workers.set(worker.workerId, worker);
  }

  /** Records a lease of `worker` for `request` (LeaseRequestHandle.grant answers with it). */
  lease(worker: FakeWorker, request: LeaseRequest, options: { gpuIds?: number[]; socket?: string }): LeaseGrant {
    const grant: LeaseGrant = {
      leaseId: `${this.nodeId}-lease-${++this.nextLeaseId}`,
      workerId: worker.workerId,
      workerAddress: worker.address,
      ...(options.socket !== undefined ? { workerSocket: options.socket } : {}),
      nodeId: this.nodeId,
      gpuIds: options.gpuIds ?? [],
    };
    this.adopt(worker);
    this.granted.set(grant.leaseId, { grant, worker, request });
    return grant;
  }

  /** The node dies: its connections close and dials to it fail; so do its workers. */
  override die(): void {
    for (const w of this.workers.values()) w.die({ signal: "SIGKILL" });
    super.die();
  }

  private serveLeases(): void {
    this.handle(
      "requestLease",
      (request) =>
        new Promise<LeaseReply>((resolve, reject) => {
          const lease = new LeaseRequestHandle(request, this, resolve, reject);
          this.leases.push(lease);
          const waiter = this.leaseWaiters.shift();
          if (waiter !== undefined) {
            this.taken++;
            waiter(lease);
          }
          this.script(lease);
        }),
    );
    this.handle("cancelLeaseRequest", ({ requestId }) => {
      const lease = this.leases.find((l) => l.request.requestId === requestId && !l.settled);
      lease?.cancel();
      return { cancelled: lease !== undefined };
    });
    this.handle("returnLease", ({ leaseId, disconnect, workerExiting }) => {
      const lease = this.granted.get(leaseId);
      this.granted.delete(leaseId);
      // A spent worker (maxCalls) owns nothing here: the raylet stops it at once.
      if (disconnect || workerExiting === true) lease?.worker.die({ signal: "SIGKILL" });
      return OK;
    });
    this.handle("getPendingDemand", () => []);
  }

  private serveWorkers(): void {
    this.handle("killWorker", ({ workerId }) => {
      const worker = this.workers.get(workerId);
      if (worker === undefined || !worker.alive) return { killed: false };
      worker.die({ signal: "SIGKILL" });
      return { killed: true };
    });
    this.handle("getWorkerExit", ({ workerId }) => {
      const exit = this.workers.get(workerId)?.exit;
      return exit === undefined ? { known: false } : { known: true, ...exit };
    });
    this.handle("registerWorker", () => ({ nodeId: this.nodeId, labels: {} }));
    this.handle("registerClient", () => ({ nodeId: this.nodeId, labels: {} }));
    this.handle("workerBlocked", () => OK);
    this.handle("workerUnblocked", () => OK);
    this.handle("jobFinished", () => OK);
  }

  private serveNode(): void {
    this.handle("ping", () => OK);
    this.handle("getResources", () => ({ total: { ...this.resources }, available: { ...this.resources } }));
    this.handle("updateClusterView", () => OK);
    this.handle("freeObjects", () => OK);
    this.handle("releaseObjects", () => OK);
    this.handle("sealObject", () => OK);
  }
}
