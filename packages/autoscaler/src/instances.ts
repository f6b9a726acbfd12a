/**
 * The autoscaler's worker instances and their states:
 *
 *   QUEUED → REQUESTED → ALLOCATED → RUNNING → TERMINATING → TERMINATED
 *                 └──────────┴→ ALLOCATION_FAILED (the type backs off)
 *
 * QUEUED: the plan wants it; REQUESTED: the provider was asked (createNodes); ALLOCATED: the
 * provider has the node; RUNNING: its raylet registered (the label lux.io/instance-id names
 * it); TERMINATING: drained and being ended; TERMINATED: the provider no longer has it. An
 * instance is keyed by its provider id, so a restarted autoscaler rebuilds the table from the
 * provider's nodes (by their tags) and launches no duplicates.
 */
import type { Clock } from "@lux/protocol";

export type InstanceState = "QUEUED" | "REQUESTED" | "ALLOCATED" | "RUNNING" | "ALLOCATION_FAILED" | "TERMINATING" | "TERMINATED";

export interface Instance {
  /** The provider's id once it has one, before that a temporary one. */
  id: string;
  nodeType: string;
  state: InstanceState;
  /** When it entered its state (clock ms). */
  since: number;
  /** When it was created (clock ms): a launch not RUNNING after launchTimeoutMs failed. */
  createdAt: number;
  /** The raylet's node id, once RUNNING. */
  nodeId?: string;
}

export interface Failure {
  atMs: number;
  nodeType: string;
  instanceId?: string;
  reason: string;
}

/** Failures kept for `lux status`. */
const MAX_FAILURES = 20;
/** A type's backoff after its n-th failure in a row: BASE × 2^(n-1), at most MAX. */
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 300_000;

export class InstanceTable {
  private readonly byId = new Map<string, Instance>();
  private readonly failures: Failure[] = [];
  /** Per type: failures in a row, and until when it is not launched. */
  private readonly backoff = new Map<string, { failures: number; until: number }>();

  constructor(private readonly clock: Clock) {}

  all(): Instance[] {
    return [...this.byId.values()];
  }

  get(id: string): Instance | undefined {
    return this.byId.get(id);
  }

  add(id: string, nodeType: string, state: InstanceState): Instance {
    const now = this.clock.now();
    const instance: Instance = { id, nodeType, state, since: now, createdAt: now };
    this.byId.set(id, instance);
    return instance;
  }

  /** The provider gave a QUEUED/REQUESTED instance its id. */
  rename(instance: Instance, id: string): void {
    this.byId.delete(instance.id);
    instance.id = id;
    this.byId.set(id, instance);
  }

  set(instance: Instance, state: InstanceState): void {
    if (instance.state === state) return;
    instance.state = state;
    instance.since = this.clock.now();
    if (state === "RUNNING") this.backoff.delete(instance.nodeType);
    if (state === "TERMINATED" || state === "ALLOCATION_FAILED") this.byId.delete(instance.id);
  }

  /** A launch of `nodeType` failed: recorded for status, and the type backs off. */
  failed(nodeType: string, reason: string, instance?: Instance): void {
    const now = this.clock.now();
    this.failures.push({ atMs: Date.now(), nodeType, ...(instance !== undefined ? { instanceId: instance.id } : {}), reason });
    if (this.failures.length > MAX_FAILURES) this.failures.shift();
    const b = this.backoff.get(nodeType) ?? { failures: 0, until: 0 };
    b.failures++;
    b.until = now + Math.min(BACKOFF_BASE_MS * 2 ** (b.failures - 1), BACKOFF_MAX_MS);
    this.backoff.set(nodeType, b);
    if (instance !== undefined) this.set(instance, "ALLOCATION_FAILED");
  }

  /** A running node ended without being terminated: recorded, no backoff (its launch worked). */
  lost(instance: Instance, reason: string): void {
    this.failures.push({ atMs: Date.now(), nodeType: instance.nodeType, instanceId: instance.id, reason });
    if (this.failures.length > MAX_FAILURES) this.failures.shift();
  }

  /** Types backing off now. */
  blocked(): Set<string> {
    const now = this.clock.now();
    return new Set([...this.backoff].filter(([, b]) => b.until > now).map(([type]) => type));
  }

  /** Until when (clock ms) the type backs off, if it does now. */
  backoffUntil(nodeType: string): number | undefined {
    const b = this.backoff.get(nodeType);
    return b !== undefined && b.until > this.clock.now() ? b.until : undefined;
  }

  /** Failures of launches in a row per type (0: none since its last node ran). */
  failuresInARow(nodeType: string): number {
    return this.backoff.get(nodeType)?.failures ?? 0;
  }

  recentFailures(): readonly Failure[] {
    return this.failures;
  }
}
