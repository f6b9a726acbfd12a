/**
 * The controller's proxies: one per alive node, placed on it (node affinity), found again by
 * name after a controller restart, checked every few seconds and replaced when they fail.
 */
import * as lux from "lux";
import { describeCause } from "./describe.js";
import { ProxyActor, type ServeProxy } from "./proxy.js";
import { SERVE_NAMESPACE, type CompiledHttpOptions, type ProxyStatus } from "./specs.js";

/** How often the nodes are listed (new nodes get a proxy) and each proxy is checked. */
const PROXY_CHECK_MS = 2_000;
const PROXY_CHECK_TIMEOUT_MS = 10_000;

interface ProxyRecord {
  nodeId: string;
  actor: lux.ActorHandle<ServeProxy>;
  status: ProxyStatus["status"];
  url: string | undefined;
  pid: number | undefined;
  message: string;
  busy: boolean;
}

export const proxyName = (nodeId: string): string => `SERVE_PROXY::${nodeId}`;

export class ProxyState {
  private readonly proxies = new Map<string, ProxyRecord>();
  private nextCheckAt = 0;
  private busy = false;
  private stopped = false;
  /** Settles when the first pass has placed a proxy on every node it found. */
  private firstPass: Promise<void> | undefined;

  constructor(
    private readonly http: CompiledHttpOptions,
    private readonly now: () => number,
  ) {}

  /** Once per PROXY_CHECK_MS: a proxy for every alive node, a check of each. */
  reconcile(): void {
    if (this.stopped || this.busy || this.now() < this.nextCheckAt) return;
    this.busy = true;
    this.nextCheckAt = this.now() + PROXY_CHECK_MS;
    const pass = this.pass().finally(() => (this.busy = false));
    this.firstPass ??= pass;
  }

  private async pass(): Promise<void> {
    let nodes: lux.NodeView[];
    try {
      nodes = await lux.nodes();
    } catch {
      return;
    }
    const alive = new Set(nodes.filter((n) => n.alive).map((n) => n.nodeId));
    for (const [nodeId, p] of this.proxies) {
      if (!alive.has(nodeId)) this.proxies.delete(nodeId);
      else if (!p.busy && p.status === "HEALTHY") void this.check(p);
    }
    const missing = [...alive].filter((nodeId) => {
      const p = this.proxies.get(nodeId);
      return p === undefined || (p.status === "UNHEALTHY" && !p.busy);
    });
    await Promise.all(missing.map((nodeId) => this.ensure(nodeId)));
  }

  /** The node's proxy: found by name (a previous controller's), else created; then started. */
  private async ensure(nodeId: string): Promise<void> {
    const name = proxyName(nodeId);
    let actor: lux.ActorHandle<ServeProxy>;
    try {
      actor = await lux.getActor<ServeProxy>(name, { namespace: SERVE_NAMESPACE });
    } catch {
      actor = ProxyActor.options({
        name,
        namespace: SERVE_NAMESPACE,
        lifetime: "detached",
        numCpus: 0,
        maxRestarts: 0,
        maxConcurrency: 100_000,
        schedulingStrategy: { nodeId, soft: false },
      }).remote({ nodeId, http: this.http });
    }
    const p: ProxyRecord = { nodeId, actor, status: "STARTING", url: undefined, pid: undefined, message: "", busy: true };
    this.proxies.set(nodeId, p);
    try {
      const { url, pid } = await lux.get(actor.start.remote(), { timeoutMs: 60_000 });
      Object.assign(p, { url, pid, status: "HEALTHY", message: "" });
    } catch (e) {
      Object.assign(p, { status: "UNHEALTHY", message: `could not start: ${describeCause(e)}` });
      await lux.kill(actor).catch(() => undefined);
    } finally {
      p.busy = false;
    }
  }

  private async check(p: ProxyRecord): Promise<void> {
    p.busy = true;
    try {
      await lux.get(p.actor.checkHealth.remote(), { timeoutMs: PROXY_CHECK_TIMEOUT_MS });
    } catch (e) {
      Object.assign(p, { status: "UNHEALTHY", message: `failed its health check: ${describeCause(e)}` });
      await lux.kill(p.actor).catch(() => undefined);
    } finally {
      p.busy = false;
    }
  }

  /** Waits (at most `timeoutMs`) for the first pass to have a proxy on every node it found. */
  async started(timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs;
    this.reconcile();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.firstPass, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    while (this.now() < deadline) {
      const list = [...this.proxies.values()];
      if (list.length > 0 && list.every((p) => p.status !== "STARTING")) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  status(): Record<string, ProxyStatus> {
    return Object.fromEntries([...this.proxies].map(([id, p]) => [id, { nodeId: id, status: p.status, url: p.url, pid: p.pid, message: p.message }]));
  }

  /** Stops and ends every proxy (serve.shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      [...this.proxies.values()].map(async (p) => {
        await lux.get(p.actor.stop.remote(), { timeoutMs: 10_000 }).catch(() => undefined);
        await lux.kill(p.actor).catch(() => undefined);
      }),
    );
    this.proxies.clear();
  }
}
