/**
 * The controller's side of long polling: a value and a version per key (a deployment's
 * replicas, the route table); `listen` answers at once with the keys a client knows an older
 * version of, else when one changes (or at its timeout, with nothing). Versions come from the
 * clock (in microseconds, ahead of any burst of changes), so they keep growing across controller restarts. Each client says which versions it
 * has, which is how the controller knows that every router stopped using a stopping replica.
 */
import type { Clock, TimerHandle } from "./clock.js";

export type Updates = Record<string, { version: number; value: unknown }>;

interface Waiter {
  readonly clientId: string;
  readonly known: Record<string, number>;
  readonly resolve: (updates: Updates) => void;
  timer: TimerHandle | undefined;
}

interface Client {
  known: Record<string, number>;
  waiting: boolean;
  lastSeen: number;
}

/** A client seen this recently, between two listen calls, is still routing. */
const ACTIVE_CLIENT_MS = 1_000;

export class LongPollHost {
  private readonly entries = new Map<string, { version: number; value: unknown }>();
  private readonly waiters = new Set<Waiter>();
  private readonly clients = new Map<string, Client>();
  private lastVersion = 0;

  constructor(private readonly clock: Clock) {}

  /** Sets `key` to `value` under a new version; waiting clients that follow it are answered. */
  set(key: string, value: unknown): number {
    const version = (this.lastVersion = Math.max(this.lastVersion + 1, Math.floor(this.clock.now() * 1000)));
    this.entries.set(key, { version, value });
    for (const w of [...this.waiters]) {
      if (key in w.known) this.answer(w);
    }
    return version;
  }

  get(key: string): unknown {
    return this.entries.get(key)?.value;
  }

  /** `clientId` "": a one-off question, not a client that routes. */
  listen(clientId: string, known: Record<string, number>, timeoutMs: number): Promise<Updates> {
    if (clientId === "") return Promise.resolve(this.changed(known));
    const client = this.clients.get(clientId) ?? { known, waiting: false, lastSeen: 0 };
    client.known = known;
    client.lastSeen = this.clock.now();
    this.clients.set(clientId, client);
    const updates = this.changed(known);
    if (Object.keys(updates).length > 0 || timeoutMs <= 0) return Promise.resolve(updates);
    client.waiting = true;
    return new Promise<Updates>((resolve) => {
      const waiter: Waiter = {
        clientId,
        known,
        timer: undefined,
        resolve: (u) => {
          client.waiting = false;
          client.lastSeen = this.clock.now();
          resolve(u);
        },
      };
      waiter.timer = this.clock.setTimeout(() => this.answer(waiter), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Whether every client following `key` that is routing now (waiting in a listen call, or
   * seen within the last second) has version `version` of it or a later one.
   */
  acknowledged(key: string, version: number): boolean {
    const now = this.clock.now();
    for (const c of this.clients.values()) {
      const has = c.known[key];
      if (has === undefined || has >= version) continue;
      if (c.waiting || now - c.lastSeen < ACTIVE_CLIENT_MS) return false;
    }
    return true;
  }

  /** Forgets clients not seen for `ms` (processes that ended). */
  prune(ms: number): void {
    const now = this.clock.now();
    for (const [id, c] of this.clients) if (!c.waiting && now - c.lastSeen > ms) this.clients.delete(id);
  }

  /** Answers the client's waiting call now (it follows a new key: its next call will say so). */
  wake(clientId: string): void {
    for (const w of [...this.waiters]) if (w.clientId === clientId) this.answer(w);
  }

  /** Answers every waiting client (the controller is shutting down). */
  close(): void {
    for (const w of [...this.waiters]) this.answer(w);
  }

  private changed(known: Record<string, number>): Updates {
    const updates: Updates = {};
    for (const [key, version] of Object.entries(known)) {
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.version > version) updates[key] = entry;
    }
    return updates;
  }

  private answer(w: Waiter): void {
    if (!this.waiters.delete(w)) return;
    w.timer?.cancel();
    w.resolve(this.changed(w.known));
  }
}
