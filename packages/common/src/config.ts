/**
 * The config registry: every Lux tunable is declared once below with its type,
 * default and doc, and can be overridden with the environment variable
 * `LUX_<NAME_IN_UPPER_SNAKE>` (e.g. workerLeaseIdleMs → LUX_WORKER_LEASE_IDLE_MS).
 *
 * ```ts
 * const idleMs = config("workerLeaseIdleMs"); // number
 * ```
 */
import { InvalidConfigError } from "./errors.js";

export type ConfigType = "number" | "string" | "boolean";

/** One declared config entry. `V` is the type of its value. */
export interface ConfigEntry<N extends string = string, V = unknown> {
  readonly name: N;
  readonly type: ConfigType;
  readonly default: V;
  readonly doc: string;
  /** The environment variable that overrides it, e.g. "LUX_LOG_LEVEL". */
  readonly envVar: string;
  /** What a valid value looks like, for error messages. */
  readonly expected: string;
  /** Parses an environment value; undefined when invalid. */
  readonly parse: (text: string) => V | undefined;
  /** Whether a value set in code is valid. */
  readonly isValid: (value: unknown) => boolean;
}

interface BaseSpec<N extends string> {
  readonly name: N;
  readonly doc: string;
}
export interface NumberConfigSpec<N extends string> extends BaseSpec<N> {
  readonly type: "number";
  readonly default: number;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}
export interface StringConfigSpec<N extends string, C extends string = string> extends BaseSpec<N> {
  readonly type: "string";
  readonly default: NoInfer<C>;
  /** Allowed values; the entry's type becomes their union. */
  readonly choices?: readonly C[];
}
export interface BooleanConfigSpec<N extends string> extends BaseSpec<N> {
  readonly type: "boolean";
  readonly default: boolean;
}

/** Declares a config entry. Call it only in this file, in CONFIG_ENTRIES. */
export function defineConfig<const N extends string>(spec: NumberConfigSpec<N>): ConfigEntry<N, number>;
export function defineConfig<const N extends string, const C extends string>(
  spec: StringConfigSpec<N, C> & { readonly choices: readonly C[] },
): ConfigEntry<N, C>;
export function defineConfig<const N extends string>(spec: StringConfigSpec<N>): ConfigEntry<N, string>;
export function defineConfig<const N extends string>(spec: BooleanConfigSpec<N>): ConfigEntry<N, boolean>;
export function defineConfig(
  spec: NumberConfigSpec<string> | StringConfigSpec<string> | BooleanConfigSpec<string>,
): ConfigEntry<string, unknown> {
  const base = { name: spec.name, type: spec.type, doc: spec.doc, envVar: configEnvVar(spec.name) };
  let entry: ConfigEntry;
  switch (spec.type) {
    case "number": {
      const { integer = false, min = -Infinity, max = Infinity } = spec;
      const isValid = (v: unknown): boolean =>
        typeof v === "number" && Number.isFinite(v) && (!integer || Number.isInteger(v)) && v >= min && v <= max;
      const bounds = [min > -Infinity ? `>= ${min}` : "", max < Infinity ? `<= ${max}` : ""].filter(Boolean);
      const expected = `${integer ? "an integer" : "a number"}${bounds.length > 0 ? ` ${bounds.join(" and ")}` : ""}`;
      const parse = (text: string): number | undefined => {
        const t = text.trim();
        const n = t === "" ? NaN : Number(t);
        return isValid(n) ? n : undefined;
      };
      entry = { ...base, default: spec.default, expected, parse, isValid };
      break;
    }
    case "string": {
      const choices = spec.choices;
      const isValid = (v: unknown): boolean => typeof v === "string" && (choices === undefined || choices.includes(v));
      const expected = choices === undefined ? "a string" : `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
      const parse = (text: string): string | undefined => (isValid(text) ? text : undefined);
      entry = { ...base, default: spec.default, expected, parse, isValid };
      break;
    }
    case "boolean": {
      const parse = (text: string): boolean | undefined => BOOLEAN_TEXT.get(text.trim().toLowerCase());
      const isValid = (v: unknown): boolean => typeof v === "boolean";
      entry = { ...base, default: spec.default, expected: "true/false, 1/0, yes/no or on/off", parse, isValid };
      break;
    }
  }
  if (!entry.isValid(entry.default)) {
    throw new Error(`config ${spec.name}: default ${String(spec.default)} is not ${entry.expected}`);
  }
  return entry;
}

const BOOLEAN_TEXT: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["1", true],
  ["yes", true],
  ["on", true],
  ["false", false],
  ["0", false],
  ["no", false],
  ["off", false],
]);

/** The environment variable for a config name: "workerLeaseIdleMs" → "LUX_WORKER_LEASE_IDLE_MS". */
export function configEnvVar(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
  return `LUX_${snake}`;
}

/** Every Lux tunable. Add new ones here, nowhere else. */
export const CONFIG_ENTRIES = [
  defineConfig({
    name: "objectStoreFullTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 0,
    doc: "How long creating an object may wait for the object store to free or spill space before ObjectStoreFullError.",
  }),
  defineConfig({
    name: "inlineObjectMaxBytes",
    type: "number",
    default: 100 * 1024,
    integer: true,
    min: 0,
    doc: "Objects up to this size travel inline in task specs and replies and live in the owner's memory; larger ones go to the shared-memory object store.",
  }),
  defineConfig({
    name: "maxFrameBytes",
    type: "number",
    default: 2 ** 31 - 1,
    integer: true,
    min: 1024,
    doc: "Largest wire frame accepted from a peer; a bigger frame is a protocol error and drops the connection.",
  }),
  defineConfig({
    name: "workerLeaseIdleMs",
    type: "number",
    // Long enough to reuse a lease between back-to-back tasks, short enough not to keep
    // CPUs from other owners waiting for them.
    default: 20,
    integer: true,
    min: 0,
    doc: "How long an owner keeps a leased worker with no queued tasks before returning it to the raylet.",
  }),
  defineConfig({
    name: "workerStartTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "How long the raylet waits for a new worker process to register before giving up on it.",
  }),
  defineConfig({
    name: "rpcConnectTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "Timeout for opening an RPC connection, including the handshake.",
  }),
  defineConfig({
    name: "logLevel",
    type: "string",
    default: "info",
    choices: ["debug", "info", "warn", "error"],
    doc: "Lowest level of log lines written (debug, info, warn, error).",
  }),
  defineConfig({
    name: "sessionDirRoot",
    type: "string",
    default: "/tmp/lux",
    doc: "Directory under which each cluster session keeps its sockets, logs and spilled objects.",
  }),
  defineConfig({
    name: "maxLineageBytes",
    type: "number",
    default: 64 * 1024 * 1024,
    integer: true,
    min: 0,
    doc: "Bytes of task specs (lineage) an owner keeps so it can re-run the tasks that made its stored objects when a node dies; beyond this the oldest lineage is dropped and those objects can no longer be rebuilt.",
  }),
  defineConfig({
    name: "lostObjectConfirmTimeoutMs",
    type: "number",
    default: 40_000,
    integer: true,
    min: 0,
    doc: "How long an owner told that no copy of an object could be read waits for the control service to declare the node of that copy dead before it answers that the object is not lost.",
  }),
  defineConfig({
    name: "gcsReconnectWindowMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long raylets, workers and drivers try to reconnect (with backoff) to a control service they lost before giving up; also how long a restarted control service waits for the nodes and drivers it restored to come back before declaring them dead.",
  }),
  defineConfig({
    name: "nodeDeathTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "A node whose raylet has not answered a health check for this long is declared dead (its connection may still look open: a hung or partitioned machine).",
  }),
  defineConfig({
    name: "gcsHealthCheckPeriodMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 1,
    doc: "How often the control service checks that each node is alive.",
  }),
  defineConfig({
    name: "idleWorkerKeepMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long an idle worker process stays in the pool before the raylet stops it.",
  }),
  defineConfig({
    name: "maxIdleWorkers",
    type: "number",
    default: 0,
    integer: true,
    min: 0,
    doc: "Most idle worker processes a raylet keeps; 0 means the node's number of CPUs.",
  }),
  defineConfig({
    name: "objectTransferChunkBytes",
    type: "number",
    default: 8 * 1024 * 1024,
    integer: true,
    min: 4096,
    doc: "Size of each chunk a raylet reads from another node's raylet when it pulls an object.",
  }),
  defineConfig({
    name: "objectTransferMaxBytesInFlight",
    type: "number",
    default: 64 * 1024 * 1024,
    integer: true,
    min: 4096,
    doc: "Most bytes of object chunks a raylet has requested from other nodes and not yet written, over all pulls.",
  }),
  defineConfig({
    name: "objectTransferChunksInFlightPerPull",
    type: "number",
    default: 4,
    integer: true,
    min: 1,
    doc: "Most chunks of one object a raylet requests at once while pulling it.",
  }),
  defineConfig({
    name: "runtimeEnvMaxBytes",
    type: "number",
    default: 100 * 1024 * 1024,
    integer: true,
    min: 1,
    doc: "Most bytes of files a runtimeEnv.workingDir may hold (after excludes); a bigger one fails with RuntimeEnvSetupError.",
  }),
] as const;

type AnyEntry = (typeof CONFIG_ENTRIES)[number];
/** Name of a declared config entry. */
export type ConfigName = AnyEntry["name"];
/** Type of the value of config entry `N`. */
export type ConfigValue<N extends ConfigName> = Extract<AnyEntry, { readonly name: N }>["default"];
/** Every config value, by name. */
export type ConfigValues = { readonly [N in ConfigName]: ConfigValue<N> };

const entriesByName = new Map<string, ConfigEntry>(CONFIG_ENTRIES.map((e) => [e.name, e]));
const overrides = new Map<string, unknown>();
const fromEnv = new Map<string, unknown>();

function entryFor(name: string): ConfigEntry {
  const entry = entriesByName.get(name);
  if (entry === undefined) throw new Error(`unknown config ${JSON.stringify(name)}; declare it in common/src/config.ts`);
  return entry;
}

/**
 * The value of a config entry: set in code with setConfig, else its environment
 * variable, else its default. The environment is read once per entry.
 * Throws InvalidConfigError (naming the variable) when the environment value is invalid.
 */
export function config<N extends ConfigName>(name: N): ConfigValue<N> {
  if (overrides.has(name)) return overrides.get(name) as ConfigValue<N>;
  if (fromEnv.has(name)) return fromEnv.get(name) as ConfigValue<N>;
  const entry = entryFor(name);
  const text = process.env[entry.envVar];
  let value: unknown = entry.default;
  if (text !== undefined) {
    value = entry.parse(text);
    if (value === undefined) {
      throw new InvalidConfigError({ key: name, envVar: entry.envVar, value: text, expected: entry.expected });
    }
  }
  fromEnv.set(name, value);
  return value as ConfigValue<N>;
}

/** Sets a config value in this process (over the environment). Throws InvalidConfigError if invalid. */
export function setConfig<N extends ConfigName>(name: N, value: ConfigValue<N>): void {
  const entry = entryFor(name);
  if (!entry.isValid(value)) {
    throw new InvalidConfigError({ key: name, value: String(value), expected: entry.expected });
  }
  overrides.set(name, value);
}

/** Drops values set with setConfig and re-reads the environment on next use (tests). */
export function resetConfig(): void {
  overrides.clear();
  fromEnv.clear();
}

/** Every current config value; reading it validates every environment override. */
export function configSnapshot(): ConfigValues {
  const out: Record<string, unknown> = {};
  for (const entry of CONFIG_ENTRIES) out[entry.name] = config(entry.name);
  return out as ConfigValues;
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
