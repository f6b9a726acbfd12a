/**
 * This process's way to the controller: its handle (found by name, in any job), and the
 * one long-poll loop that keeps this process's routers (and a proxy's route table) up to date.
 * While the controller is down the loop retries and everything keeps its last state, so
 * handles and proxies go on routing to the replicas they know.
 */
import * as lux from "lux";
import { ActorNotFoundError } from "lux";
import { delay, systemClock, type Clock } from "./clock.js";
import type { ServeController } from "./controller.js";
import { CONTROLLER_NAME, SERVE_NAMESPACE } from "./specs.js";

export type ControllerHandle = lux.ActorHandle<ServeController>;

let cached: ControllerHandle | undefined;
/** The job the handle was found in (a driver may shut down and connect to another cluster). */
let cachedJob: string | undefined;

/** The controller's handle, or undefined when serve is not started in this cluster. */
export async function findController(): Promise<ControllerHandle | undefined> {
  const job = lux.getRuntimeContext().jobId;
  if (cached !== undefined && cachedJob === job) return cached;
  try {
    cached = await lux.getActor<ServeController>(CONTROLLER_NAME, { namespace: SERVE_NAMESPACE });
    cachedJob = job;
    return cached;
  } catch (e) {
    if (e instanceof ActorNotFoundError) return undefined;
    throw e;
  }
}

/** Forgets the cached handle (the controller was shut down, or this process disconnected). */
export function forgetController(): void {
  cached = undefined;
}

/** How long a listen call waits for a change: actors listen for long; drivers briefly, so an idle script can end. */
const ACTOR_LISTEN_MS = 30_000;
const DRIVER_LISTEN_MS = 2_000;
/** A driver whose routers took no request for this long stops listening (its next request asks first). */
const DRIVER_IDLE_MS = 5_000;
const RETRY_MS = [100, 200, 500, 1000, 2000];

type Listener = (value: unknown) => void;

/** Long-poll subscriptions of this process, by key. */
export class LongPollClient {
  private readonly versions = new Map<string, number>();
  private readonly listeners = new Map<string, Listener>();
  private readonly values = new Map<string, unknown>();
  private loop: Promise<void> | undefined;
  private closed = false;
  private lastActive = 0;

  constructor(
    private readonly clientId: string,
    private readonly inActor: boolean,
    /** Whether requests of this process are running or waiting (a driver listens while they are). */
    private readonly busy: () => boolean,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Calls `listener` with the key's value now (once known) and on every change. */
  subscribe(key: string, listener: Listener): void {
    this.listeners.set(key, listener);
    const known = this.values.get(key);
    if (known !== undefined) listener(known);
    if (this.versions.has(key)) {
      void this.touch();
      return;
    }
    this.versions.set(key, -1);
    // A listen call already waiting does not follow this key: ask for it now, and have the
    // waiting call return so that the next one follows it too.
    if (this.touch() === undefined) void this.fetchNow(key);
  }

  private async fetchNow(key: string): Promise<void> {
    try {
      const controller = await findController();
      if (controller === undefined) return;
      void controller.wake.remote(this.clientId);
      this.apply(await lux.get(controller.listen.remote("", { [key]: -1 }, 0)));
    } catch {
      // The loop retries.
    }
  }

  /**
   * A request is being made: make sure the loop runs. When it had stopped (an idle driver),
   * what this process knows may be old: the promise returned settles after the first answer.
   */
  touch(): Promise<void> | undefined {
    this.lastActive = this.clock.now();
    if (this.loop !== undefined || this.closed) return this.first;
    let answered!: () => void;
    const first = new Promise<void>((resolve) => (answered = resolve));
    this.first = first;
    const done = (): void => {
      if (this.first === first) this.first = undefined;
      answered();
    };
    this.loop = this.run(done).finally(() => {
      this.loop = undefined;
      done();
    });
    return first;
  }

  /** Until the loop's first answer after a (re)start. */
  private first: Promise<void> | undefined;

  close(): void {
    this.closed = true;
  }

  private keepGoing(): boolean {
    if (this.closed || !lux.isInitialized() || this.listeners.size === 0) return false;
    return this.inActor || this.busy() || this.clock.now() - this.lastActive < DRIVER_IDLE_MS;
  }

  private async run(answered: () => void): Promise<void> {
    let failures = 0;
    while (this.keepGoing()) {
      try {
        const controller = await findController();
        if (controller === undefined) throw new ActorNotFoundError({ name: CONTROLLER_NAME, namespace: SERVE_NAMESPACE });
        const timeoutMs = this.inActor ? ACTOR_LISTEN_MS : DRIVER_LISTEN_MS;
        const updates = await lux.get(controller.listen.remote(this.clientId, Object.fromEntries(this.versions), timeoutMs));
        failures = 0;
        this.apply(updates);
        answered();
      } catch {
        answered();
        if (!this.keepGoing()) return;
        forgetController();
        await delay(this.clock, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)] as number);
      }
    }
  }

  private apply(updates: Record<string, { version: number; value: unknown }>): void {
    for (const [key, { version, value }] of Object.entries(updates)) {
      if ((this.versions.get(key) ?? -1) >= version) continue;
      this.versions.set(key, version);
      this.values.set(key, value);
      this.listeners.get(key)?.(value);
    }
  }
}
