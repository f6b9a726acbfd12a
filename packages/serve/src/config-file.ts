/**
 * The serve config file (YAML; keys are the TypeScript option names):
 *
 * ```yaml
 * http: { host: 127.0.0.1, port: 8000 }
 * applications:
 *   - name: default
 *     routePrefix: /
 *     importPath: ./app.ts:app        # relative to this file's folder; `:app` names the export
 *     args: { model: small }          # given to the export when it is a builder function
 *     runtimeEnv: { envVars: { A: "1" } }
 *     deployments:
 *       - { name: Model, numReplicas: 2, userConfig: { threshold: 0.5 } }
 * ```
 *
 * Every problem is an InvalidServeConfigError naming the field's path and line; an unknown
 * key names the nearest valid one.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { InvalidOptionError, InvalidServeConfigError } from "lux";
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { AUTOSCALING_KEYS, DEPLOYMENT_OPTION_KEYS, checkDeploymentOptions, type DeploymentOptions } from "./options.js";
import { HTTP_OPTION_KEYS, type HttpOptions } from "./specs.js";

export interface AppConfig {
  name: string;
  routePrefix: string | null;
  /** Absolute path of the module, and the export's name. */
  module: string;
  exportName: string;
  importPath: string;
  args: Record<string, unknown> | undefined;
  runtimeEnv: Record<string, unknown> | undefined;
  deployments: (DeploymentOptions & { name: string })[];
}

export interface ServeConfig {
  file: string;
  http: HttpOptions | undefined;
  applications: AppConfig[];
}

const TOP_KEYS = ["http", "applications"];
const APP_KEYS = ["name", "routePrefix", "importPath", "args", "runtimeEnv", "deployments"];
const ACTOR_KEYS = ["numCpus", "numGpus", "memory", "resources", "schedulingStrategy", "runtimeEnv", "labelSelector"];

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      prev = row[j] as number;
      row[j] = next;
    }
  }
  return row[b.length] as number;
}

export function nearest(key: string, valid: readonly string[]): string {
  return [...valid].sort((x, y) => distance(key, x) - distance(key, y))[0] as string;
}

class Checker {
  private readonly lines = new LineCounter();
  readonly root: YamlNode | null;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const err = doc.errors[0];
    if (err !== undefined) this.fail("(file)", `is not valid YAML: ${err.message.split("\n")[0] ?? ""}`, err.pos[0]);
    this.root = doc.contents;
  }

  fail(where: string, problem: string, offset?: number): never {
    const line = offset === undefined ? undefined : this.lines.linePos(offset).line;
    throw new InvalidServeConfigError({ file: this.file, path: where, ...(line !== undefined ? { line } : {}), problem });
  }

  at(node: YamlNode | null | undefined): number | undefined {
    return node?.range?.[0];
  }

  /** A mapping's keys must be among `valid`; returns key → node. */
  mapping(node: unknown, where: string, valid: readonly string[]): Map<string, YamlNode> {
    if (!isMap(node)) this.fail(where, "must be a mapping (key: value)", this.at(node as YamlNode));
    const out = new Map<string, YamlNode>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const at = where === "" ? key : `${where}.${key}`;
      if (!valid.includes(key)) this.fail(at, `unknown key "${key}"; did you mean "${nearest(key, valid)}"? (valid: ${valid.join(", ")})`, this.at(pair.key as YamlNode));
      out.set(key, pair.value as YamlNode);
    }
    return out;
  }

  /** Checks the nested option mappings for unknown keys, so their paths are named too. */
  optionKeys(node: YamlNode, where: string): void {
    const m = this.mapping(node, where, DEPLOYMENT_OPTION_KEYS);
    const autoscaling = m.get("autoscalingConfig");
    if (autoscaling !== undefined) this.mapping(autoscaling, `${where}.autoscalingConfig`, AUTOSCALING_KEYS);
    const actor = m.get("actorOptions");
    if (actor !== undefined) this.mapping(actor, `${where}.actorOptions`, ACTOR_KEYS);
  }
}

function plain(node: YamlNode | undefined): unknown {
  return node === undefined ? undefined : (node as { toJSON(): unknown }).toJSON();
}

/** "dir/app.ts:app" → the module's absolute path and the export's name ("app" when none is given). */
export function splitImportPath(importPath: string, base: string): { module: string; exportName: string } {
  const colon = importPath.lastIndexOf(":");
  const hasExport = colon > 0 && !/^[a-zA-Z]:[\\/]/.test(importPath.slice(colon - 1));
  return {
    module: path.resolve(base, hasExport ? importPath.slice(0, colon) : importPath),
    exportName: hasExport ? importPath.slice(colon + 1) : "app",
  };
}

/** Reads and checks a serve config file. */
export function readServeConfig(file: string): ServeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InvalidServeConfigError({ file, path: "(file)", problem: `cannot be read: ${(e as Error).message}` });
  }
  return parseServeConfig(text, file);
}

export function parseServeConfig(text: string, file: string): ServeConfig {
  const c: Checker = new Checker(file, text);
  const top = c.mapping(c.root, "", TOP_KEYS);
  const httpNode = top.get("http");
  if (httpNode !== undefined) c.mapping(httpNode, "http", HTTP_OPTION_KEYS);
  const appsNode = top.get("applications");
  if (!isSeq(appsNode) || appsNode.items.length === 0) c.fail("applications", "must be a list of one or more applications", c.at(appsNode));
  const applications = appsNode.items.map((node, i) => application(c, node as YamlNode, `applications[${i}]`, path.dirname(path.resolve(file))));
  const names = new Set<string>();
  const prefixes = new Map<string, string>();
  applications.forEach((a, i) => {
    if (names.has(a.name)) c.fail(`applications[${i}].name`, `"${a.name}" names two applications; names must be unique`, c.at(appsNode.items[i] as YamlNode));
    names.add(a.name);
    if (a.routePrefix === null) return;
    const other = prefixes.get(a.routePrefix);
    if (other !== undefined) c.fail(`applications[${i}].routePrefix`, `"${a.routePrefix}" is also application "${other}"'s; each application needs its own`, c.at(appsNode.items[i] as YamlNode));
    prefixes.set(a.routePrefix, a.name);
  });
  return { file, http: relativeToFile(plain(httpNode) as HttpOptions | undefined, path.dirname(path.resolve(file))), applications };
}

/** The certificate and key paths of the YAML's `http`, relative to the file's folder. */
function relativeToFile(http: HttpOptions | undefined, dir: string): HttpOptions | undefined {
  if (http === undefined || typeof http !== "object" || http === null) return http;
  const out = { ...http };
  for (const k of ["sslCertfile", "sslKeyfile"] as const) {
    const v = out[k];
    if (typeof v === "string" && v !== "") out[k] = path.resolve(dir, v);
  }
  return out;
}

function application(c: Checker, node: YamlNode, where: string, dir: string): AppConfig {
  const m = c.mapping(node, where, APP_KEYS);
  const importPath = plain(m.get("importPath"));
  if (typeof importPath !== "string" || importPath === "") c.fail(`${where}.importPath`, 'is required: "path/to/module.ts:exportName"', c.at(m.get("importPath") ?? node));
  const { module, exportName } = splitImportPath(importPath, dir);
  const name = plain(m.get("name")) ?? "default";
  if (typeof name !== "string" || !/^[\w.-]{1,100}$/.test(name)) c.fail(`${where}.name`, "must be a name of letters, digits, _, . and -", c.at(m.get("name")));
  const prefix = m.has("routePrefix") ? plain(m.get("routePrefix")) : "/";
  if (prefix !== null && (typeof prefix !== "string" || !prefix.startsWith("/") || (prefix.length > 1 && prefix.endsWith("/")))) {
    c.fail(`${where}.routePrefix`, 'must be a path starting with "/" and not ending with one, or null', c.at(m.get("routePrefix")));
  }
  const args = plain(m.get("args"));
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) c.fail(`${where}.args`, "must be a mapping", c.at(m.get("args")));
  const runtimeEnv = plain(m.get("runtimeEnv"));
  if (runtimeEnv !== undefined && (typeof runtimeEnv !== "object" || runtimeEnv === null)) c.fail(`${where}.runtimeEnv`, "must be a mapping", c.at(m.get("runtimeEnv")));
  return {
    name,
    routePrefix: prefix as string | null,
    module,
    exportName,
    importPath,
    args: args as Record<string, unknown> | undefined,
    runtimeEnv: runtimeEnv as Record<string, unknown> | undefined,
    deployments: deployments(c, m.get("deployments"), `${where}.deployments`),
  };
}

function deployments(c: Checker, node: YamlNode | undefined, where: string): (DeploymentOptions & { name: string })[] {
  if (node === undefined) return [];
  if (!isSeq(node)) c.fail(where, "must be a list of deployments ({ name, numReplicas, … })", c.at(node));
  return node.items.map((item, i) => {
    const at = `${where}[${i}]`;
    c.optionKeys(item as YamlNode, at);
    const options = plain(item as YamlNode) as DeploymentOptions & { name?: unknown };
    if (typeof options.name !== "string") c.fail(`${at}.name`, "is required: the name of the deployment these options are for", c.at(item as YamlNode));
    try {
      checkDeploymentOptions(options);
    } catch (e) {
      if (e instanceof InvalidOptionError) c.fail(`${at}.${e.option}`, `expected ${e.expected}`, c.at(item as YamlNode));
      throw e;
    }
    return options as DeploymentOptions & { name: string };
  });
}
