/**
 * How a config entry is declared: its type, default, bounds and doc, and the `LUX_*`
 * environment variable that overrides it. The entries themselves are in config-entries/ (one file per area).
 */

export type ConfigType = "number" | "string" | "boolean" | "duration";

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
/** A length of time written with its unit: "90s", "30m", "12h", "7d" (see `durationMs`). */
export interface DurationConfigSpec<N extends string> extends BaseSpec<N> {
  readonly type: "duration";
  readonly default: string;
}

/** Declares a config entry. Call it only in config-entries/. */
export function defineConfig<const N extends string>(spec: NumberConfigSpec<N>): ConfigEntry<N, number>;
export function defineConfig<const N extends string, const C extends string>(
  spec: StringConfigSpec<N, C> & { readonly choices: readonly C[] },
): ConfigEntry<N, C>;
export function defineConfig<const N extends string>(spec: StringConfigSpec<N>): ConfigEntry<N, string>;
export function defineConfig<const N extends string>(spec: BooleanConfigSpec<N>): ConfigEntry<N, boolean>;
export function defineConfig<const N extends string>(spec: DurationConfigSpec<N>): ConfigEntry<N, string>;
export function defineConfig(
  spec: NumberConfigSpec<string> | StringConfigSpec<string> | BooleanConfigSpec<string> | DurationConfigSpec<string>,
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
    case "duration": {
      const isValid = (v: unknown): boolean => typeof v === "string" && DURATION.test(v);
      const parse = (text: string): string | undefined => (isValid(text.trim()) ? text.trim() : undefined);
      entry = { ...base, default: spec.default, expected: 'a duration: a whole number and a unit s, m, h or d, e.g. "90s", "12h", "7d"', parse, isValid };
      break;
    }
  }
  if (!entry.isValid(entry.default)) {
    throw new Error(`config ${spec.name}: default ${String(spec.default)} is not ${entry.expected}`);
  }
  return entry;
}

const DURATION = /^(\d+)([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration entry's value ("7d" → 604800000); throws RangeError for anything else. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (m === null) throw new RangeError(`${JSON.stringify(text)} is not a duration: write a whole number and a unit s, m, h or d, e.g. "7d"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
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
