/**
 * The cluster YAML: node types the autoscaler scales to demand and the provider that starts
 * their nodes. Read with positions kept (yaml-source.ts), checked against the JSON schema that
 * ships with the package (cluster.schema.json: unknown keys and wrong types), then against
 * the rules a schema cannot say (config-checks.ts). Every problem names its path and line.
 */
import * as fs from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import { InvalidClusterConfigError, type ClusterConfigProblem } from "@lux/common";
import { checkClusterRules } from "./config-checks.js";
import { podResources } from "./pod-resources.js";
import { readYaml, type YamlSource } from "./yaml-source.js";

export interface NodeTypeConfig {
  /** The key of the type in availableNodeTypes. */
  readonly name: string;
  /** What a node of the type offers (on kubernetes, by default the pod's cpu, memory and GPUs). */
  readonly resources: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** Provider-specific: local `{ objectStoreMemory? }`; kubernetes: a pod template. */
  readonly nodeConfig: Readonly<Record<string, unknown>>;
}

export type ProviderConfig =
  | { readonly type: "local" }
  | { readonly type: "kubernetes"; readonly namespace?: string; readonly headAddress?: string };

/** A cluster YAML, checked and with its defaults filled in. */
export interface ClusterConfig {
  readonly clusterName: string;
  readonly maxWorkers: number;
  readonly idleTimeoutS: number;
  readonly upscalingSpeed: number;
  readonly reconcileIntervalMs: number;
  readonly provider: ProviderConfig;
  readonly headNodeType: string;
  readonly availableNodeTypes: Readonly<Record<string, NodeTypeConfig>>;
}

export const CLUSTER_DEFAULTS = { maxWorkers: 8, idleTimeoutS: 60, upscalingSpeed: 1, reconcileIntervalMs: 5000 } as const;

/** The JSON schema of the cluster YAML (the file `@lux/autoscaler/cluster.schema.json`). */
export const clusterSchemaPath = new URL("../cluster.schema.json", import.meta.url);

let validator: ReturnType<Ajv["compile"]> | undefined;

function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(clusterSchemaPath, "utf8")) as object);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/** Reads and checks a cluster YAML file; InvalidClusterConfigError lists what is wrong. */
export function loadClusterConfig(file: string): ClusterConfig {
  return parseClusterConfig(fs.readFileSync(file, "utf8"), file);
}

/** Checks the text of a cluster YAML; InvalidClusterConfigError lists every problem with its path and line. */
export function parseClusterConfig(text: string, file?: string): ClusterConfig {
  const source = readYaml(text);
  const fail = (problems: ClusterConfigProblem[]): never => {
    throw new InvalidClusterConfigError({ ...(file !== undefined ? { file } : {}), problems });
  };
  if (source.syntaxProblems.length > 0) fail(source.syntaxProblems);
  const schemaProblems = validate(source.value).map((e) => schemaProblem(e, source));
  if (schemaProblems.length > 0) fail(dedupe(schemaProblems));
  const config = withDefaults(source.value as RawConfig);
  const ruleProblems = checkClusterRules(config, source.value, (path, key) => source.lineOf(path, key));
  if (ruleProblems.length > 0) fail(ruleProblems);
  return config;
}

interface RawNodeType {
  resources?: Record<string, number>;
  labels?: Record<string, string>;
  minWorkers?: number;
  maxWorkers?: number;
  nodeConfig?: Record<string, unknown>;
}

interface RawConfig {
  clusterName: string;
  maxWorkers?: number;
  idleTimeoutS?: number;
  upscalingSpeed?: number;
  reconcileIntervalMs?: number;
  provider: ProviderConfig;
  headNodeType: string;
  availableNodeTypes: Record<string, RawNodeType>;
}

function withDefaults(raw: RawConfig): ClusterConfig {
  const maxWorkers = raw.maxWorkers ?? CLUSTER_DEFAULTS.maxWorkers;
  const types: Record<string, NodeTypeConfig> = {};
  for (const [name, t] of Object.entries(raw.availableNodeTypes)) {
    const nodeConfig = t.nodeConfig ?? {};
    const fromPod = raw.provider.type === "kubernetes" ? podResources(nodeConfig) : {};
    types[name] = {
      name,
      resources: { ...fromPod, ...t.resources },
      labels: { ...t.labels },
      minWorkers: t.minWorkers ?? 0,
      maxWorkers: t.maxWorkers ?? maxWorkers,
      nodeConfig,
    };
  }
  return {
    clusterName: raw.clusterName,
    maxWorkers,
    idleTimeoutS: raw.idleTimeoutS ?? CLUSTER_DEFAULTS.idleTimeoutS,
    upscalingSpeed: raw.upscalingSpeed ?? CLUSTER_DEFAULTS.upscalingSpeed,
    reconcileIntervalMs: raw.reconcileIntervalMs ?? CLUSTER_DEFAULTS.reconcileIntervalMs,
    provider: { ...raw.provider },
    headNodeType: raw.headNodeType,
    availableNodeTypes: types,
  };
}

/** A schema error as a problem: the dotted path, what is wrong, and the line (the key's, for an unknown key). */
function schemaProblem(e: ErrorObject, source: YamlSource): ClusterConfigProblem {
  const path = e.instancePath === "" ? [] : e.instancePath.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "additionalProperties") {
    const key = String(params["additionalProperty"]);
    return at([...path, key], source.lineOf([...path, key], true), "is not a known key");
  }
  if (e.keyword === "required") {
    return at([...path, String(params["missingProperty"])], source.lineOf(path), "is required");
  }
  if (e.keyword === "propertyNames") {
    const name = String(params["propertyName"]);
    return at([...path, name], source.lineOf([...path, name], true), "is not a valid name (lower-case letters, digits and '-', at most 40)");
  }
  if (e.keyword === "pattern" && path[0] === "clusterName") {
    return at(path, source.lineOf(path), "must be a DNS label: lower-case letters, digits and '-', at most 40, starting and ending with a letter or digit");
  }
  if (e.keyword === "enum") return at(path, source.lineOf(path), `must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`);
  if (e.keyword === "minimum") return at(path, source.lineOf(path), `must be ≥ ${String(params["limit"])}`);
  if (e.keyword === "exclusiveMinimum") return at(path, source.lineOf(path), `must be > ${String(params["limit"])}`);
  return at(path, source.lineOf(path), e.message ?? `fails the schema's ${e.keyword}`);
}

function at(path: readonly string[], line: number | undefined, message: string): ClusterConfigProblem {
  return { path: path.join("."), ...(line !== undefined ? { line } : {}), message };
}

/** Ajv reports some problems twice (e.g. through $ref); each path and message once, in file order. */
function dedupe(problems: ClusterConfigProblem[]): ClusterConfigProblem[] {
  const seen = new Set<string>();
  const out = problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
