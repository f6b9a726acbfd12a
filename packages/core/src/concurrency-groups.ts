/**
 * An actor's concurrency groups, on the worker that hosts it (Ray's concurrency_groups): each
 * group runs at most its limit of calls at once and queues the others in arrival order, apart
 * from every other group, so a group whose calls are all busy never holds back another's. The
 * default group holds every method the actor's `methods` option puts in no other group; its
 * limit is the actor's maxConcurrency.
 *
 * In one JavaScript thread a group is a queue, not a thread: calls of several groups
 * interleave only at their awaits. A synchronous method runs to its end once started, whatever
 * its group, and no call of any group starts meanwhile.
 */
import type { TaskSpec } from "@lux/protocol";
import { InvalidOptionError } from "@lux/common";
import { Fifo } from "./fifo.js";

/** The name a call gives (`.options({ concurrencyGroup })`) for the default group. */
export const DEFAULT_GROUP = "default";

/** The calls of one group: at most `limit` run at once; the others wait in arrival order. */
export interface CallGroup {
  readonly limit: number;
  running: number;
  readonly waiting: Fifo<() => void>;
}

function group(limit: number): CallGroup {
  return { limit, running: 0, waiting: new Fifo<() => void>() };
}

export class ConcurrencyGroups {
  /** The default group. */
  readonly main: CallGroup;
  /** The declared groups by name; undefined when the actor declared none. */
  private readonly named: Map<string, CallGroup> | undefined;
  /** Methods the `methods` option put in a declared group. */
  private readonly byMethod: Map<string, CallGroup> | undefined;

  /** `groups` and `methodGroups` as the actor's creation spec carries them (checked by its creator). */
  constructor(maxConcurrency: number, groups?: Record<string, number>, methodGroups?: Record<string, string>) {
    this.main = group(maxConcurrency);
    if (groups === undefined) return;
    this.named = new Map(Object.entries(groups).map(([name, limit]) => [name, group(limit)]));
    const named = this.named;
    if (methodGroups === undefined) return;
    this.byMethod = new Map();
    for (const [method, name] of Object.entries(methodGroups)) {
      const g = name === DEFAULT_GROUP ? this.main : named.get(name);
      if (g !== undefined) this.byMethod.set(method, g);
    }
  }

  /**
   * The group a call runs in: the one it names, else its method's, else the default one.
   * Undefined when it names a group the actor does not have (see unknown).
   */
  of(spec: TaskSpec): CallGroup | undefined {
    const name = spec.concurrencyGroup;
    if (name !== undefined) return name === DEFAULT_GROUP ? this.main : this.named?.get(name);
    return this.byMethod?.get(spec.method ?? "") ?? this.main;
  }

  /** What a call naming a group the actor does not have fails with. */
  unknown(name: string): InvalidOptionError {
    return unknownGroup(name, [...(this.named?.keys() ?? [])]);
  }
}

/** A concurrency group that is not one of `declared` (the actor's groups, besides the default one). */
export function unknownGroup(name: unknown, declared: readonly string[]): InvalidOptionError {
  const listed = declared.length === 0 ? "the actor declares none" : `the actor's groups are ${declared.join(", ")}`;
  return new InvalidOptionError({
    option: "concurrencyGroup",
    expected: `a concurrency group of the actor (${listed}; "${DEFAULT_GROUP}" is the default group)`,
    received: name,
  });
}
