/**
 * The actor options about its calls: concurrencyGroups, methods (each method's group) and
 * maxPendingCalls, and a call's concurrencyGroup, checked where they are given so a bad one
 * throws InvalidOptionError at the call site, naming the option.
 */
import { InvalidOptionError } from "@lux/common";
import { GENERATOR_MARK } from "./actor-methods.js";
import { DEFAULT_GROUP, unknownGroup } from "./concurrency-groups.js";

/** The call options of an actor, compiled: left out when not set (its creation spec carries them as they are). */
export interface ActorCallOptions {
  /** Group name to its limit (undefined: no group besides the default one). */
  concurrencyGroups?: Record<string, number>;
  /** Method to the group its calls run in (undefined: every method in the default group). */
  methodConcurrencyGroups?: Record<string, string>;
  /** Unset: no limit. */
  maxPendingCalls?: number;
}

interface Given {
  concurrencyGroups?: unknown;
  methods?: unknown;
  maxPendingCalls?: unknown;
}

/** `methods`: the class's method names (as methodNames lists them); undefined: not checked. */
export function callOptions(opts: Given, methods: readonly string[] | undefined): ActorCallOptions {
  const groups = concurrencyGroups(opts.concurrencyGroups);
  const methodGroups = methodConcurrencyGroups(opts.methods, groups === undefined ? [] : Object.keys(groups), methods);
  const maxPending = maxPendingCalls(opts.maxPendingCalls);
  return {
    ...(groups !== undefined ? { concurrencyGroups: groups } : {}),
    ...(methodGroups !== undefined ? { methodConcurrencyGroups: methodGroups } : {}),
    ...(maxPending !== undefined ? { maxPendingCalls: maxPending } : {}),
  };
}

/** A call's concurrencyGroup option: "default" or one of `groups`. */
export function callGroup(v: unknown, groups: readonly string[]): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || (v !== DEFAULT_GROUP && !groups.includes(v))) throw unknownGroup(v, groups);
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function concurrencyGroups(v: unknown): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    throw new InvalidOptionError({ option: "concurrencyGroups", expected: "an object of group name to the calls it runs at once, e.g. { io: 2 }", received: v });
  }
  const groups: Record<string, number> = {};
  for (const [name, limit] of Object.entries(v)) {
    if (name.trim() === "" || name === DEFAULT_GROUP) {
      throw new InvalidOptionError({
        option: `concurrencyGroups.${name}`,
        expected: `a group name other than "" and "${DEFAULT_GROUP}" (the default group's limit is maxConcurrency)`,
      });
    }
    if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1) {
      throw new InvalidOptionError({ option: `concurrencyGroups.${name}`, expected: "an integer >= 1 (the calls of the group run at once)", received: limit });
    }
    groups[name] = limit;
  }
  return Object.keys(groups).length === 0 ? undefined : groups;
}

/** `methods`: { method: { concurrencyGroup } }, each method one of the class's, each group declared. */
function methodConcurrencyGroups(v: unknown, groups: readonly string[], methods: readonly string[] | undefined): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    throw new InvalidOptionError({ option: "methods", expected: 'an object of method name to its options, e.g. { fetch: { concurrencyGroup: "io" } }', received: v });
  }
  const byMethod: Record<string, string> = {};
  for (const [method, defaults] of Object.entries(v)) {
    if (methods !== undefined && !methods.includes(method) && !methods.includes(GENERATOR_MARK + method)) {
      const names = methods.map((m) => (m.startsWith(GENERATOR_MARK) ? m.slice(GENERATOR_MARK.length) : m));
      throw new InvalidOptionError({ option: `methods.${method}`, expected: `a method of the class (${names.join(", ") || "it has none"})` });
    }
    if (!isRecord(defaults) || Object.keys(defaults).some((k) => k !== "concurrencyGroup")) {
      throw new InvalidOptionError({ option: `methods.${method}`, expected: '{ concurrencyGroup: "<group>" } (the only method option)', received: defaults });
    }
    const group = defaults["concurrencyGroup"];
    if (group === undefined) continue;
    try {
      byMethod[method] = callGroup(group, groups) as string;
    } catch (e) {
      throw new InvalidOptionError({ option: `methods.${method}.concurrencyGroup`, expected: (e as InvalidOptionError).expected, received: group });
    }
  }
  return Object.keys(byMethod).length === 0 ? undefined : byMethod;
}

/** maxPendingCalls: an integer >= 1, or -1 (or nothing) for no limit. */
function maxPendingCalls(v: unknown): number | undefined {
  if (v === undefined || v === -1) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new InvalidOptionError({ option: "maxPendingCalls", expected: "an integer >= 1, or -1 for no limit", received: v });
  }
  return v;
}
