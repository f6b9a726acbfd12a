/**
 * The config registry: every Lux tunable is declared once (config-entries/) with its
 * type, default and doc, and can be overridden with the environment variable
 * `LUX_<NAME_IN_UPPER_SNAKE>` (e.g. workerLeaseIdleMs → LUX_WORKER_LEASE_IDLE_MS) or, in
 * code, with an explicit value (`lux.init({ systemConfig })`, `lux start --system-config`,
 * `LocalCluster.start({ config })`). Explicit beats the environment beats the default.
 *
 * Classes take the values they use at construction (read once, by the composition root:
 * CoreWorker.start, the raylet's and the control service's main), so tests can build them
 * with small values and hot paths never look a value up per task.
 *
 * ```ts
 * const idleMs = config("workerLeaseIdleMs"); // number
 * ```
 */
import {
  CONFIG_GROUPS,
  CONTROL_SERVICE_ENTRIES,
  HTTP_ENTRIES,
  LOG_ENTRIES,
  MEMORY_ENTRIES,
  METRICS_ENTRIES,
  NODE_ENTRIES,
  OBJECT_ENTRIES,
  OBSERVABILITY_ENTRIES,
  PROCESS_ENTRIES,
  RPC_ENTRIES,
  TASK_ENTRIES,
  TLS_ENTRIES,
} from "./config-entries.js";
import type { ConfigEntry } from "./config-define.js";
import { InvalidConfigError } from "./errors.js";

export { CONFIG_GROUPS };

/** Every Lux tunable. Add new ones in config-entries/ (a new area also in CONFIG_GROUPS), nowhere else. */
export const CONFIG_ENTRIES = [
  ...RPC_ENTRIES,
  ...TASK_ENTRIES,
  ...OBJECT_ENTRIES,
  ...NODE_ENTRIES,
  ...MEMORY_ENTRIES,
  ...CONTROL_SERVICE_ENTRIES,
  ...PROCESS_ENTRIES,
  ...OBSERVABILITY_ENTRIES,
  ...METRICS_ENTRIES,
  ...LOG_ENTRIES,
  ...HTTP_ENTRIES,
  ...TLS_ENTRIES,
] as const;

type AnyEntry = (typeof CONFIG_ENTRIES)[number];
/** Name of a declared config entry. */
export type ConfigName = AnyEntry["name"];
/** Type of the value of config entry `N`. */
export type ConfigValue<N extends ConfigName> = Extract<AnyEntry, { readonly name: N }>["default"];
/** Every config value, by name: the compiled, fully-defaulted form classes are built with. */
export type ConfigValues = { readonly [N in ConfigName]: ConfigValue<N> };
/** Explicit config entries, e.g. `lux.init({ systemConfig })`: any subset, each validated. */
export type SystemConfig = { readonly [N in ConfigName]?: ConfigValue<N> };

const entriesByName = new Map<string, ConfigEntry>(CONFIG_ENTRIES.map((e) => [e.name, e]));
const overrides = new Map<string, unknown>();
const fromEnv = new Map<string, unknown>();
let generation = 0;

function entryFor(name: string): ConfigEntry {
  const entry = entriesByName.get(name);
  if (entry === undefined) throw unknownEntry(name);
  return entry;
}

/**
 * The value of a config entry: set explicitly (setConfig, applyConfig), else its
 * environment variable, else its default. The environment is read once per entry.
 * Throws InvalidConfigError (naming the variable) when the environment value is invalid.
 */
export function config<N extends ConfigName>(name: N): ConfigValue<N> {
  if (overrides.has(name)) return overrides.get(name) as ConfigValue<N>;
  if (fromEnv.has(name)) return fromEnv.get(name) as ConfigValue<N>;
  const value = fromEnvironment(entryFor(name), process.env);
  fromEnv.set(name, value);
  return value as ConfigValue<N>;
}

/** The entry's value in `env` (its LUX_* variable), else its default; InvalidConfigError if the variable is invalid. */
function fromEnvironment(entry: ConfigEntry, env: Readonly<Record<string, string | undefined>>): unknown {
  const text = env[entry.envVar];
  if (text === undefined) return entry.default;
  const value = entry.parse(text);
  if (value === undefined) throw new InvalidConfigError({ key: entry.name, envVar: entry.envVar, value: text, expected: entry.expected });
  return value;
}

/**
 * Every config value as a process with environment `env` and explicit entries `explicit`
 * would see it: explicit, else the environment variable, else the default. What
 * configSnapshot() computes for this process, as a pure function.
 */
export function compileConfig(env: Readonly<Record<string, string | undefined>>, explicit: SystemConfig = {}): ConfigValues {
  const given = checkConfig(explicit) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const entry of CONFIG_ENTRIES) out[entry.name] = entry.name in given ? given[entry.name] : fromEnvironment(entry, env);
  return out as ConfigValues;
}

/** Sets a config value in this process (over the environment). Throws InvalidConfigError if invalid. */
export function setConfig<N extends ConfigName>(name: N, value: ConfigValue<N>): void {
  const entry = entryFor(name);
  if (!entry.isValid(value)) {
    throw new InvalidConfigError({ key: name, value: String(value), expected: entry.expected });
  }
  overrides.set(name, value);
  generation++;
}

/**
 * Sets validated explicit values in this process; returns a function that puts back what
 * was set before (lux.shutdown() undoes lux.init()'s systemConfig).
 */
export function applyConfig(values: SystemConfig): () => void {
  const checked = checkConfig(values);
  const before = new Map<string, { set: boolean; value: unknown }>();
  for (const [name, value] of Object.entries(checked)) {
    before.set(name, { set: overrides.has(name), value: overrides.get(name) });
    overrides.set(name, value);
  }
  generation++;
  return () => {
    for (const [name, was] of before) {
      if (was.set) overrides.set(name, was.value);
      else overrides.delete(name);
    }
    generation++;
  };
}

/** Drops explicit values and re-reads the environment on next use (tests). */
export function resetConfig(): void {
  overrides.clear();
  fromEnv.clear();
  generation++;
}

/** Changes whenever explicit values change: a cache of a config value compares it. */
export function configGeneration(): number {
  return generation;
}

/** Every current config value (explicit > environment > default); reading it validates every environment override. */
export function configSnapshot(): ConfigValues {
  const out: Record<string, unknown> = {};
  for (const entry of CONFIG_ENTRIES) out[entry.name] = config(entry.name);
  return out as ConfigValues;
}

/**
 * Entries that name a process's own files (its TLS certificate and key): an identity, not a
 * tunable of the cluster, so never sent to drivers nor taken from the control service.
 */
const OWN_ENTRIES: ReadonlySet<string> = new Set(TLS_ENTRIES.map((e) => e.name));

/** The entries of `values` that differ from their defaults (what a cluster's daemons were started with), but a process's own (its TLS files). */
export function nonDefaultConfig(values: ConfigValues): SystemConfig {
  const out: Record<string, unknown> = {};
  for (const entry of CONFIG_ENTRIES) if (values[entry.name] !== entry.default && !OWN_ENTRIES.has(entry.name)) out[entry.name] = values[entry.name];
  return out as SystemConfig;
}

/**
 * Applies a cluster's config (`nonDefaultConfig` of its control service) to this process,
 * except the entries this process's environment sets (they stay its own); returns the undo.
 */
export function adoptClusterConfig(cluster: Readonly<Record<string, unknown>>): () => void {
  const adopted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(cluster)) {
    const entry = CONFIG_ENTRIES.find((e) => e.name === name);
    // An entry of another Lux version, one set here, or another process's own files: not ours to take.
    if (entry === undefined || process.env[entry.envVar] !== undefined || OWN_ENTRIES.has(name)) continue;
    adopted[name] = value;
  }
  return applyConfig(checkConfig(adopted));
}

/** Every entry at its default, with `values` over them: for tests that build a class with small values. */
export function defaultConfig(values: SystemConfig = {}): ConfigValues {
  const out: Record<string, unknown> = {};
  for (const entry of CONFIG_ENTRIES) out[entry.name] = entry.default;
  return { ...out, ...checkConfig(values) } as ConfigValues;
}

/**
 * Validates explicit config entries (from code, or parsed from `--system-config` JSON):
 * an object whose keys are entry names and whose values fit their entries. Throws
 * InvalidConfigError naming an unknown key's nearest entry, or what a bad value should be.
 */
export function checkConfig(input: unknown): SystemConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidConfigError({ key: "(config)", value: describe(input), expected: 'an object of config entries, e.g. {"workerLeaseIdleMs": 50}' });
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const entry = entriesByName.get(key);
    if (entry === undefined) throw unknownEntry(key);
    if (!entry.isValid(value)) throw new InvalidConfigError({ key, value: describe(value), expected: entry.expected });
    out[key] = value;
  }
  return out as SystemConfig;
}

/** Environment variables that carry explicit config entries to a child process (validated first). */
export function configToEnv(values: SystemConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(checkConfig(values))) env[entryFor(name).envVar] = String(value);
  return env;
}

/**
 * Environment variables that reproduce this process's non-default config values,
 * for the environment of child processes (workers, daemons).
 */
export function configEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of CONFIG_ENTRIES) {
    const value = config(entry.name);
    if (value !== entry.default) env[entry.envVar] = String(value);
  }
  return env;
}

/**
 * The declared entry closest to `key`: the same name in another spelling (an environment
 * variable, snake_case, other case), else the one fewest edits away.
 */
export function nearestConfigName(key: string): ConfigName {
  const squash = (s: string): string => s.toLowerCase().replace(/^lux_/, "").replace(/[^a-z0-9]/g, "");
  const wanted = squash(key);
  let best: ConfigName = CONFIG_ENTRIES[0].name;
  let bestDistance = Infinity;
  for (const entry of CONFIG_ENTRIES) {
    const d = editDistance(wanted, squash(entry.name));
    if (d < bestDistance) {
      best = entry.name;
      bestDistance = d;
    }
  }
  return best;
}

function unknownEntry(key: string): InvalidConfigError {
  return new InvalidConfigError({ key, suggestion: nearestConfigName(key) });
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
