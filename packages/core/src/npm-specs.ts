import * as path from "node:path";
import { InvalidOptionError } from "@lux/common";

/** The npm fields of a validated runtimeEnv option (undefined: not given, the job's apply). */
export interface NpmFields {
  npm: string[] | undefined;
  npmAllowScripts: boolean | undefined;
  setupTimeoutMs: number | undefined;
}

/** npm's rule for package names (url-safe characters, an optional scope); older packages may have capitals. */
const NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;
const NAME_MAX = 214;
/** The longest delay a Node timer takes. */
const TIMEOUT_MAX = 2 ** 31 - 1;
const FORMS = 'name, name@version (or range, or tag) or "file:<path to a tarball made by npm pack>"';

/**
 * Checks `runtimeEnv.npm`, `npmAllowScripts` and `setupTimeoutMs` at the call site; each bad
 * entry throws InvalidOptionError naming it (`runtimeEnv.npm[1]`). `file:` paths are made
 * absolute from this process's working directory, since the raylet that installs them runs elsewhere.
 */
export function checkNpmFields(o: Record<string, unknown>, option: string): NpmFields {
  const list = o["npm"];
  let npm: string[] | undefined;
  if (list !== undefined) {
    if (!Array.isArray(list)) throw new InvalidOptionError({ option: `${option}.npm`, expected: `an array of npm package specs: ${FORMS}`, received: list });
    npm = list.map((spec: unknown, i) => checkNpmSpec(spec, `${option}.npm[${i}]`));
  }
  const scripts = o["npmAllowScripts"];
  if (scripts !== undefined && typeof scripts !== "boolean") {
    throw new InvalidOptionError({ option: `${option}.npmAllowScripts`, expected: "a boolean (true runs the packages' install scripts)", received: scripts });
  }
  const timeout = o["setupTimeoutMs"];
  if (timeout !== undefined && !(typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 1 && timeout <= TIMEOUT_MAX)) {
    throw new InvalidOptionError({ option: `${option}.setupTimeoutMs`, expected: `an integer number of milliseconds from 1 to ${TIMEOUT_MAX}`, received: timeout });
  }
  return { npm, npmAllowScripts: scripts, setupTimeoutMs: timeout };
}

/** One spec, normalized: `file:` paths absolute; registry specs as given. */
export function checkNpmSpec(spec: unknown, option: string): string {
  const bad = (why: string): InvalidOptionError => new InvalidOptionError({ option, expected: `an npm package spec: ${FORMS} (${why})`, received: spec });
  if (typeof spec !== "string" || spec === "") throw bad("a non-empty string");
  // Each spec is one argument of `npm install`: nothing npm would read as a flag or a second argument.
  if (spec.startsWith("-")) throw bad("not an npm flag");
  if (/[\0-\x1f\x7f]/.test(spec)) throw bad("no control characters");
  if (spec.startsWith("file:")) {
    const file = spec.slice("file:".length);
    if (file.trim() === "") throw bad("file: needs a path");
    return `file:${path.resolve(file)}`;
  }
  const at = spec.indexOf("@", 1);
  const name = at < 0 ? spec : spec.slice(0, at);
  const version = at < 0 ? undefined : spec.slice(at + 1);
  if (name.length > NAME_MAX || !NAME.test(name)) throw bad(`${JSON.stringify(name)} is not an npm package name`);
  if (version !== undefined && version.trim() === "") throw bad("nothing after @");
  return spec;
}
