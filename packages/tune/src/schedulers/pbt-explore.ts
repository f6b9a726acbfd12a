/**
 * PBT's explore step: a copy of the source trial's config with each mutated hyperparameter
 * either drawn anew (with `resampleProbability`, or when its value is not among a list's) or
 * perturbed: a number multiplied by one of `perturbationFactors` (rounded back to an integer if
 * it was one), a list's value moved to a neighbour in the list.
 */
import { Domain } from "../search/domain.js";
import type { Rng } from "../search/rng.js";
import { getAt, isPlainObject, setAt, type Path } from "../search/space.js";

/** What a hyperparameter may become: a domain, a list of values, or a function drawing one. */
export type Mutation = Domain | readonly unknown[] | (() => unknown);

/** `hyperparamMutations`: mutations by config key, nested as the config is. */
export interface HyperparamMutations {
  [key: string]: Mutation | HyperparamMutations;
}

export interface ExploreSettings {
  readonly resampleProbability: number;
  readonly perturbationFactors: readonly number[];
}

/** The leaves of the mutations with their config paths. */
export function mutationPaths(mutations: HyperparamMutations, at: Path = []): { path: Path; mutation: Mutation }[] {
  return Object.entries(mutations).flatMap(([k, m]) => (isPlainObject(m) ? mutationPaths(m as HyperparamMutations, [...at, k]) : [{ path: [...at, k], mutation: m as Mutation }]));
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function perturb(value: unknown, mutation: Mutation, s: ExploreSettings, rng: Rng): unknown {
  const resample = rng.next() < s.resampleProbability;
  if (Array.isArray(mutation)) {
    const i = mutation.findIndex((v) => sameValue(v, value));
    if (resample || i < 0) return rng.pick(mutation);
    return mutation[Math.min(mutation.length - 1, Math.max(0, i + (rng.next() < 0.5 ? -1 : 1)))];
  }
  const draw = (): unknown => (mutation instanceof Domain ? mutation.sample(rng, { config: {} }) : (mutation as () => unknown)());
  if (resample || typeof value !== "number") return draw();
  const next = value * rng.pick(s.perturbationFactors);
  return Number.isInteger(value) ? Math.round(next) : next;
}

export function explore(config: Record<string, unknown>, mutations: HyperparamMutations, s: ExploreSettings, rng: Rng): Record<string, unknown> {
  const next = structuredClone(config);
  for (const { path, mutation } of mutationPaths(mutations)) setAt(next, path, perturb(getAt(config, path), mutation, s, rng));
  return next;
}
