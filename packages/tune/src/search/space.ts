/**
 * Param spaces: nested objects (and arrays) whose leaves are domains or constants. `Resolve<S>`
 * is the config type a space gives (a `Domain<number>` becomes `number`); `resolveConfig`
 * draws one config; grid axes are found by path so that a generator can cross them.
 */
import { Domain, GridSearch, SampleFrom, domainFromJSON, invalid, type DomainJSON } from "./domain.js";
import type { Rng } from "./rng.js";

/** A search space: domains and constants, nested in plain objects and arrays. */
export type ParamSpace = Record<string, unknown>;

/** The config a space gives: each domain replaced by the type of its values. */
export type Resolve<S> =
  S extends Domain<infer T> ? T : S extends readonly unknown[] ? { -readonly [K in keyof S]: Resolve<S[K]> } : S extends (...args: never) => unknown ? S : S extends object ? { -readonly [K in keyof S]: Resolve<S[K]> } : S;

/** Where a value sits in a config: object keys and array indexes. */
export type Path = readonly (string | number)[];

export interface DomainAt {
  readonly path: Path;
  readonly domain: Domain;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Every domain of `space` with its path, in key order (depth first). */
export function domainsOf(space: unknown, at: Path = []): DomainAt[] {
  if (space instanceof Domain) return [{ path: at, domain: space }];
  if (Array.isArray(space)) return space.flatMap((v: unknown, i) => domainsOf(v, [...at, i]));
  if (isPlainObject(space)) return Object.entries(space).flatMap(([k, v]) => domainsOf(v, [...at, k]));
  return [];
}

/** `a.b[2]`: a path as a field name in messages. */
export function pathName(path: Path, root = ""): string {
  return path.reduce<string>((name, p) => (typeof p === "number" ? `${name}[${p}]` : name === "" ? p : `${name}.${p}`), root);
}

/** `a/b/2`: a path as a column name (flattened configs and metrics). */
export function pathKey(path: Path): string {
  return path.join("/");
}

export function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, p) => (v as Record<string | number, unknown> | undefined)?.[p], value);
}

export function setAt(target: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = target;
  path.slice(0, -1).forEach((p) => (node = node[p] as Record<string | number, unknown>));
  node[path[path.length - 1] as string | number] = value;
}

/** A copy of the space with its domains still in place (constants copied, so a config owns its values). */
function copyStructure(space: unknown): unknown {
  if (space instanceof Domain) return space;
  if (Array.isArray(space)) return space.map(copyStructure);
  if (isPlainObject(space)) return Object.fromEntries(Object.entries(space).map(([k, v]) => [k, copyStructure(v)]));
  return space;
}

/**
 * One config: the values of `fixed` (grid values, points to evaluate) at their paths, the
 * other domains drawn, `sampleFrom` last (it sees the rest of the config).
 */
export function resolveConfig(space: ParamSpace, rng: Rng, fixed: ReadonlyMap<string, unknown> = new Map()): Record<string, unknown> {
  const config = copyStructure(space) as Record<string, unknown>;
  const domains = domainsOf(space);
  const later: DomainAt[] = [];
  for (const d of domains) {
    const key = pathKey(d.path);
    if (fixed.has(key)) setAt(config, d.path, fixed.get(key));
    else if (d.domain instanceof SampleFrom) later.push(d);
    else setAt(config, d.path, d.domain.sample(rng, { config }));
  }
  for (const [key, value] of fixed) if (!domains.some((d) => pathKey(d.path) === key)) setAt(config, key.split("/"), value);
  for (const d of later) setAt(config, d.path, d.domain.sample(rng, { config }));
  return config;
}

/** The grid axes of a space, by path. */
export function gridAxes(space: ParamSpace): { path: Path; values: readonly unknown[] }[] {
  return domainsOf(space).flatMap((d) => (d.domain instanceof GridSearch ? [{ path: d.path, values: d.domain.values }] : []));
}

/** Every combination of the axes' values (the first axis changes slowest). */
export function crossGrid(axes: readonly { path: Path; values: readonly unknown[] }[]): Map<string, unknown>[] {
  let combos: Map<string, unknown>[] = [new Map()];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => new Map([...c, [pathKey(axis.path), v]])));
  return combos;
}

/** Flattens nested plain objects to `prefix/a/b` keys (configs and metrics as columns). */
export function flatten(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === "" ? k : `${prefix}/${k}`;
    if (isPlainObject(v)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}

/** The space as JSON (domains as their JSON form); undefined when a domain cannot be written. */
export function spaceToJSON(space: unknown): unknown {
  if (space instanceof Domain) return space.toJSON();
  if (typeof space === "function") return undefined;
  if (Array.isArray(space)) {
    const values = space.map(spaceToJSON);
    return values.some((v, i) => v === undefined && space[i] !== undefined) ? undefined : values;
  }
  if (isPlainObject(space)) {
    const entries = Object.entries(space).map(([k, v]) => [k, spaceToJSON(v)] as const);
    return entries.some(([k, v]) => v === undefined && space[k] !== undefined) ? undefined : Object.fromEntries(entries);
  }
  return space;
}

/** The space of `spaceToJSON`'s output. */
export function spaceFromJSON(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(spaceFromJSON);
  if (isPlainObject(json)) {
    if (typeof json["$domain"] === "string") return domainFromJSON(json as unknown as DomainJSON);
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, spaceFromJSON(v)]));
  }
  return json;
}

/** The space must be a plain object (of domains and constants). */
export function checkSpace(space: unknown, field: string): ParamSpace {
  if (!isPlainObject(space)) invalid(field, "an object of domains and constants, e.g. { lr: tune.loguniform(1e-4, 1e-1) }", space);
  return space;
}
