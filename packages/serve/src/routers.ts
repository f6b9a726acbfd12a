/**
 * This process's routers, one per deployment it sends requests to, fed by the long-poll
 * client; and what they report to the controller: their requests (running + waiting), for
 * the autoscaler, every metricsIntervalMs while they have any (at once on a cold start), and
 * the replicas they saw die.
 */
import * as lux from "lux";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { LongPollClient, findController, forgetController } from "./controller-client.js";
import { Router, type RouterEvents } from "./router.js";
import { deploymentKey, type DeploymentRoutes } from "./specs.js";

class Routers implements RouterEvents {
  private readonly byKey = new Map<string, Router>();
  private readonly reporters = new Map<Router, { timer: TimerHandle | undefined; lastReported: number }>();
  readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  readonly poll: LongPollClient;

  constructor(
    inActor: boolean,
    private readonly clock: Clock = systemClock,
  ) {
    this.poll = new LongPollClient(this.id, inActor, () => this.busy(), clock);
  }

  private busy(): boolean {
    for (const r of this.byKey.values()) if (r.load > 0) return true;
    return false;
  }

  get(app: string, deployment: string): Router {
    const key = deploymentKey(app, deployment);
    let router = this.byKey.get(key);
    if (router === undefined) {
      const made = new Router(app, deployment, this);
      router = made;
      this.byKey.set(key, made);
      this.poll.subscribe(key, (value) => made.update(value as DeploymentRoutes));
    }
    return router;
  }

  demand(router: Router): void {
    const armed = this.reporters.get(router)?.timer !== undefined;
    // Reports going out every metricsIntervalMs pick it up; a cold start is said at once.
    if (!armed || (router.replicaCount === 0 && router.queued > 0)) this.report(router);
  }

  replicaDied(router: Router, replicaId: string): void {
    void findController()
      .then((c) => c?.reportReplicaDied.remote(deploymentKey(router.app, router.deployment), replicaId))
      .catch(() => undefined);
  }

  /** Sends the router's load now, then every metricsIntervalMs while it has (or just had) requests. */
  private report(router: Router): void {
    let state = this.reporters.get(router);
    if (state === undefined) {
      state = { timer: undefined, lastReported: -1 };
      this.reporters.set(router, state);
    }
    state.timer?.cancel();
    state.timer = undefined;
    const interval = router.metricsIntervalMs;
    // Not autoscaled: nothing to report (until its routes are known, it may be).
    if (interval === undefined && router.known) return;
    const load = router.load;
    if (load === 0 && state.lastReported === 0) return;
    state.lastReported = load;
    const key = deploymentKey(router.app, router.deployment);
    void findController()
      .then((c) => c?.recordHandleMetrics.remote(this.id, key, load))
      .catch(() => undefined);
    if (!lux.isInitialized()) return;
    state.timer = this.clock.setTimeout(() => this.report(router), interval ?? 100).unref();
  }

  /** lux.shutdown(): waiting requests fail, the loop stops, timers end. */
  close(error: unknown): void {
    this.poll.close();
    for (const r of this.byKey.values()) r.failWaiting(error);
    for (const s of this.reporters.values()) s.timer?.cancel();
    this.byKey.clear();
    this.reporters.clear();
  }
}

let current: Routers | undefined;
/** The driver's job the routers were made in: after lux.shutdown() and init() (another cluster, maybe), new ones. */
let madeInJob: string | undefined;

/** This process's routers (made at first use, after lux.init). */
export function routers(): Routers {
  if (current !== undefined && madeInJob === undefined) return current;
  const ctx = lux.getRuntimeContext();
  if (current !== undefined && ctx.jobId === madeInJob) return current;
  if (current !== undefined) resetRouters(new lux.NotInitializedError({ operation: "a serve request made before lux.shutdown()" }));
  const inActor = ctx.actorId !== undefined;
  current = new Routers(inActor);
  madeInJob = inActor ? undefined : ctx.jobId;
  return current;
}

/** Drops this process's routers (serve.shutdown, or a new connection after lux.shutdown). */
export function resetRouters(error: unknown): void {
  current?.close(error);
  current = undefined;
  forgetController();
}

export type { Routers };
