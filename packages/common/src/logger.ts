/**
 * A tiny leveled logger. Each call writes one line to stderr:
 * `2026-11-26T03:15:00.123Z WARN raylet: lease expired worker=ab12 idleMs=200`.
 * The level comes from config `logLevel` (env LUX_LOG_LEVEL); lines below it cost
 * one comparison.
 */
import { config, configGeneration } from "./config.js";
import { RotatingFile } from "./rotating-file.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
/** Structured context appended to a line as key=value pairs. */
export type LogFields = Readonly<Record<string, unknown>>;
/** Receives each formatted line (without a trailing newline). */
export type LogSink = (line: string, level: LogLevel) => void;

export interface Logger {
  readonly component: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written; use it to skip costly field building. */
  enabled(level: LogLevel): boolean;
}

const LEVEL_RANK = { debug: 10, info: 20, warn: 30, error: 40 } as const satisfies Record<LogLevel, number>;
const LEVEL_LABEL = { debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR" } as const;

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

let sink: LogSink = stderrSink;
/** Threshold rank; undefined until first use, then read from config. */
let threshold: number | undefined;
/** Set with setLogLevel: config changes do not move it. */
let explicitLevel = false;
/** The config generation `threshold` was read at: an explicit config (lux.init's systemConfig) may change it. */
let thresholdGeneration = -1;

/** Redirects every logger's output (tests); pass undefined to restore stderr. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next ?? stderrSink;
}

/**
 * Sends every logger's output to the end of file `path` (created with its directory),
 * instead of stderr, rotated by size (config logRotationBytes and logRotationBackups, read
 * by the daemon's main; no rotation by default). Lines are written synchronously, so none
 * are lost if the process dies.
 */
export function useLogFile(path: string, rotation: { maxBytes: number; backups: number } = { maxBytes: 0, backups: 0 }): void {
  const file = new RotatingFile({ path, ...rotation });
  // A daemon that cannot write its log says so at its start rather than log nothing.
  const error = file.openError;
  if (error !== undefined) throw error;
  sink = (line) => file.write(`${line}\n`);
}

/** Overrides the level from config; pass undefined to go back to config `logLevel`. */
export function setLogLevel(level: LogLevel | undefined): void {
  threshold = level === undefined ? undefined : LEVEL_RANK[level];
  explicitLevel = level !== undefined;
}

function currentThreshold(): number {
  if (threshold === undefined || (!explicitLevel && thresholdGeneration !== configGeneration())) {
    thresholdGeneration = configGeneration();
    try {
      threshold = LEVEL_RANK[config("logLevel")];
    } catch (e) {
      // A bad LUX_LOG_LEVEL must not make every log call throw: say so once, log at info.
      threshold = LEVEL_RANK.info;
      sink(`${timestamp()} WARN logger: ${e instanceof Error ? e.message : String(e)}`, "warn");
    }
  }
  return threshold;
}

let lastMs = -1;
let lastStamp = "";
function timestamp(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastStamp = new Date(ms).toISOString();
  }
  return lastStamp;
}

/** Creates a logger whose lines are tagged with `component` (e.g. "raylet"). */
export function createLogger(component: string): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields | undefined): void => {
    if (LEVEL_RANK[level] < currentThreshold()) return;
    let line = `${timestamp()} ${LEVEL_LABEL[level]} ${component}: ${oneLine(msg)}`;
    if (fields !== undefined) {
      for (const key in fields) line += ` ${key}=${formatValue(fields[key])}`;
    }
    sink(line, level);
  };
  return {
    component,
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    enabled: (level) => LEVEL_RANK[level] >= currentThreshold(),
  };
}

const NEEDS_ESCAPE = /[\n\r]/;
function oneLine(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/\r?\n|\r/g, "\\n") : s;
}

const BARE = /^[^\s"=\\]+$/;
function formatValue(v: unknown): string {
  switch (typeof v) {
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(v);
    case "string":
      return BARE.test(v) ? v : JSON.stringify(v);
    case "symbol":
      return v.toString();
    case "function":
      return `[Function: ${v.name || "anonymous"}]`;
  }
  if (v === null) return "null";
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    const text = `${v.name}: ${v.message}`;
    return JSON.stringify(typeof code === "string" ? `${text} [${code}]` : text);
  }
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? String(v);
  } catch {
    return '"[unserializable]"';
  }
}
