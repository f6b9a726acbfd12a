/**
 * The serve controller: a detached actor named SERVE_CONTROLLER_ACTOR in namespace "serve",
 * restarted by Lux when its process dies. It holds the applications' desired state, runs the
 * control loop (replicas, autoscaling, health checks, proxies) every CONTROL_LOOP_MS, answers
 * the long polls of routers and proxies, and keeps its state in the KV store, so a restarted
 * controller picks up where the last one stopped (replicas and proxies are detached: they
 * live on meanwhile, and serve requests).
 */
import * as lux from "lux";
import { ApplicationNotFoundError, InvalidOptionError } from "lux";
import { ApplicationState } from "./application-state.js";
import { clearCheckpoint, loadCheckpoint, saveCheckpoint, type SavedApp, type SavedState } from "./checkpoint.js";
import { delay, systemClock, type Clock } from "./clock.js";
import type { DeploymentHost } from "./deployment-state.js";
import { LongPollHost, type Updates } from "./long-poll-host.js";
import { ProxyState } from "./proxy-state.js";
import { endOrphanReplicas, findReplica, saveReplica } from "./replica-record.js";
import { LONG_POLL_ROUTES_KEY, type AppSpec, type ApplicationStatusInfo, type CompiledHttpOptions, type DeploymentRoutes, type RouteTable, type ServeStatus } from "./specs.js";

const CONTROL_LOOP_MS = 100;
/** Saving the state after a change waits this long for more changes (one write for a burst). */
const SAVE_DEBOUNCE_MS = 50;

export class ServeController {
  private readonly clock: Clock = systemClock;
  private readonly apps = new Map<string, ApplicationState>();
  private readonly poll = new LongPollHost(this.clock);
  private readonly proxies: ProxyState;
  private readonly restored: Promise<void>;
  private readonly host: DeploymentHost;
  private dirty = false;
  private saving: Promise<void> | undefined;
  private stopped = false;
  private routesKey = "";

  constructor(private http: CompiledHttpOptions) {
    this.host = {
      now: () => this.clock.now(),
      publish: (key, routes: DeploymentRoutes) => this.poll.set(key, routes),
      acknowledged: (key, version) => this.poll.acknowledged(key, version),
      changed: () => this.changed(),
      wait: (ms) => delay(this.clock, ms),
    };
    this.restored = this.restore();
    this.proxies = new ProxyState(http, () => this.clock.now());
    void this.restored.then(() => this.loop());
  }

  /** Resolves once the controller has its state back; with its process. */
  async ready(): Promise<{ pid: number; nodeId: string; http: CompiledHttpOptions }> {
    await this.restored;
    await this.proxies.started(60_000);
    return { pid: process.pid, nodeId: lux.getRuntimeContext().nodeId, http: this.http };
  }

  listen(clientId: string, known: Record<string, number>, timeoutMs: number): Promise<Updates> {
    return this.poll.listen(clientId, known, Math.min(timeoutMs, 60_000));
  }

  /** The client's waiting listen call returns now: it follows a new key. */
  wake(clientId: string): void {
    this.poll.wake(clientId);
  }

  /** A router's requests (running + waiting) for one deployment, for the autoscaler. */
  recordHandleMetrics(routerId: string, key: string, load: number): void {
    this.deploymentOf(key)?.demand.record(routerId, this.clock.now(), load);
  }

  reportReplicaDied(key: string, replicaId: string): void {
    this.deploymentOf(key)?.replicaDied(replicaId);
  }

  /**
   * Deploys applications. `declarative` (lux serve deploy): these are all the applications,
   * the others are deleted, and those already running as given are left untouched.
   */
  async deployApps(specs: AppSpec[], declarative: boolean): Promise<void> {
    await this.restored;
    this.checkPrefixes(specs, declarative);
    for (const spec of specs) {
      const existing = this.apps.get(spec.name);
      if (existing === undefined) this.apps.set(spec.name, new ApplicationState(spec, this.host));
      else if (!(declarative && existing.same(spec))) existing.deploy(spec);
    }
    if (declarative) {
      const names = new Set(specs.map((s) => s.name));
      for (const [name, app] of this.apps) if (!names.has(name)) app.delete();
    }
    this.publishRoutes();
    this.changed();
    this.tick();
  }

  async deleteApps(names: string[]): Promise<void> {
    await this.restored;
    for (const name of names) {
      const app = this.apps.get(name);
      if (app === undefined) throw new ApplicationNotFoundError({ app: name, known: [...this.apps.keys()] });
      app.delete();
    }
    this.publishRoutes();
    this.changed();
    this.tick();
  }

  async getStatus(): Promise<ServeStatus> {
    await this.restored;
    const applications: Record<string, ApplicationStatusInfo> = {};
    for (const [name, app] of this.apps) applications[name] = app.status();
    return { proxies: this.proxies.status(), applications, http: this.http, controller: { pid: process.pid, nodeId: lux.getRuntimeContext().nodeId } };
  }

  /** Waits until none of `names` is DEPLOYING or DELETING (at most `timeoutMs`); their statuses. */
  async waitForApps(names: string[], timeoutMs: number): Promise<Record<string, ApplicationStatusInfo | undefined>> {
    await this.restored;
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const statuses = Object.fromEntries(names.map((n) => [n, this.apps.get(n)?.status()]));
      const settled = Object.values(statuses).every((s) => s === undefined || (s.status !== "DEPLOYING" && s.status !== "DELETING"));
      if (settled || this.clock.now() >= deadline) return statuses;
      await delay(this.clock, 25);
    }
  }

  /** Deletes every application, stops the proxies and forgets the state (serve.shutdown). */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.restored;
    for (const app of this.apps.values()) app.delete();
    this.publishRoutes();
    const deadline = this.clock.now() + timeoutMs;
    while (this.apps.size > 0 && this.clock.now() < deadline) await delay(this.clock, 25);
    this.stopped = true;
    await this.proxies.stop();
    this.poll.close();
    await this.saving;
    await clearCheckpoint();
  }

  private deploymentOf(key: string): ReturnType<ApplicationState["deployments"]["get"]> {
    const [app, deployment] = key.split("#") as [string, string];
    return this.apps.get(app)?.deployments.get(deployment);
  }

  private checkPrefixes(specs: AppSpec[], declarative: boolean): void {
    const taken = new Map<string, string>();
    if (!declarative) {
      for (const [name, app] of this.apps) if (!app.isDeleting && app.spec.routePrefix !== null) taken.set(app.spec.routePrefix, name);
    }
    for (const spec of specs) {
      if (spec.routePrefix === null) continue;
      const other = taken.get(spec.routePrefix);
      if (other !== undefined && other !== spec.name) {
        throw new InvalidOptionError({ option: "routePrefix", expected: `a prefix no other application uses ("${spec.routePrefix}" is application "${other}"'s)`, received: spec.routePrefix });
      }
      taken.set(spec.routePrefix, spec.name);
    }
  }

  private publishRoutes(): void {
    const table: RouteTable = { routes: [] };
    for (const app of this.apps.values()) {
      if (!app.isDeleting && app.spec.routePrefix !== null) table.routes.push({ prefix: app.spec.routePrefix, app: app.spec.name, ingress: app.spec.ingress });
    }
    const key = JSON.stringify(table);
    if (key === this.routesKey && this.poll.get(LONG_POLL_ROUTES_KEY) !== undefined) return;
    this.routesKey = key;
    this.poll.set(LONG_POLL_ROUTES_KEY, table);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.tick();
      await delay(this.clock, CONTROL_LOOP_MS);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    for (const [name, app] of this.apps) {
      app.reconcile();
      if (app.done) {
        this.apps.delete(name);
        this.changed();
      }
    }
    this.proxies.reconcile();
    this.poll.prune(120_000);
  }

  private changed(): void {
    this.dirty = true;
    if (this.saving !== undefined || this.stopped) return;
    this.saving = (async () => {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await delay(this.clock, SAVE_DEBOUNCE_MS);
        await saveCheckpoint(this.snapshot()).catch((e: unknown) => console.error(`[serve] could not save the controller's state: ${(e as Error).message}`));
      }
    })().finally(() => (this.saving = undefined));
  }

  private snapshot(): SavedState {
    const apps: SavedApp[] = [...this.apps.values()].map((app) => ({
      spec: app.spec,
      deleting: app.isDeleting,
      lastDeployedAt: app.lastDeployedAt,
      deployments: [...app.deployments.values()].map((d) => ({
        name: d.spec.name,
        target: d.target,
        // Starting ones too: a controller restarted before they answer adopts them (or ends them).
        replicas: [...d.replicas.values()].filter((r) => r.state !== "STOPPING").map(saveReplica),
      })),
    }));
    return { http: this.http, apps };
  }

  /**
   * After a restart: the applications of the checkpoint, with the replicas still alive. A
   * replica the checkpoint missed (the controller died before saving it) is ended, not leaked.
   */
  private async restore(): Promise<void> {
    const saved = await loadCheckpoint().catch(() => undefined);
    if (saved === undefined) {
      this.publishRoutes();
      return;
    }
    this.http = saved.http;
    for (const a of saved.apps) {
      const app = new ApplicationState(a.spec, this.host);
      app.lastDeployedAt = a.lastDeployedAt;
      for (const d of a.deployments) {
        const state = app.deployments.get(d.name);
        if (state === undefined) continue;
        state.target = d.target;
        const found = await Promise.all(d.replicas.map(findReplica));
        for (const r of found) if (r !== undefined) state.replicas.set(r.id, r);
      }
      if (a.deleting) app.delete();
      this.apps.set(a.spec.name, app);
    }
    const adopted = new Set<string>();
    for (const app of this.apps.values()) for (const d of app.deployments.values()) for (const r of d.replicas.values()) adopted.add(r.name);
    await endOrphanReplicas(adopted);
    this.publishRoutes();
    for (const app of this.apps.values()) app.reconcile();
  }
}

/** The controller's actor class. */
export const ControllerActor = lux.remote(ServeController);
