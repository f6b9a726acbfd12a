/**
 * An Application (a bound deployment, with the bound deployments among its arguments) as the
 * controller deploys it: one DeploymentSpec per deployment, its arguments with markers in
 * place of bound deployments, and a version that changes with the code, the arguments and
 * the options that need new replicas.
 */
import { createHash } from "node:crypto";
import { serialize } from "node:v8";
import { InvalidOptionError } from "lux";
import { checkStorable } from "./checkpoint.js";
import { Application } from "./deployment.js";
import { isDeploymentHandle } from "./handle.js";
import { compileOptions, type DeploymentOptions } from "./options.js";
import type { AppSpec, DeploymentSpec, HandleMarker } from "./specs.js";

/** `serve.run`'s options. */
export interface RunOptions {
  /** The application's name. Default "default". */
  name?: string;
  /** Where the proxies route HTTP to its ingress; null: by handle only. Default "/". */
  routePrefix?: string | null;
  /** How long to wait for the application to be RUNNING. Default 10 minutes. */
  timeoutMs?: number;
}

export function checkRoutePrefix(prefix: unknown, option = "routePrefix"): string | null {
  if (prefix === null) return null;
  if (typeof prefix !== "string" || !prefix.startsWith("/") || /[\s?#]/.test(prefix) || (prefix.length > 1 && prefix.endsWith("/"))) {
    throw new InvalidOptionError({ option, expected: 'a path starting with "/" and not ending with one (e.g. "/" or "/api"), or null', received: prefix });
  }
  return prefix;
}

export function checkAppName(name: unknown, option = "name"): string {
  if (typeof name !== "string" || !/^[\w.-]{1,100}$/.test(name)) throw new InvalidOptionError({ option, expected: "a name of letters, digits, _, . and - (1 to 100)", received: name });
  return name;
}

/** The options that start new replicas when they change (not userConfig, numReplicas, autoscalingConfig). */
function versionOf(app: string, target: unknown, args: readonly unknown[], given: DeploymentOptions): string {
  const { userConfig: _u, numReplicas: _n, autoscalingConfig: _a, name: _name, ...rest } = given;
  const h = createHash("sha1").update(app).update(JSON.stringify(target)).update(JSON.stringify(rest));
  try {
    h.update(serialize(args));
  } catch {
    h.update(String(Math.random()));
  }
  return h.digest("hex").slice(0, 16);
}

/** A config file's changes to an application: options per deployment name, and a runtimeEnv for all. */
export interface AppOverrides {
  deployments: Record<string, DeploymentOptions>;
  runtimeEnv: Record<string, unknown> | undefined;
}

/** The deployment's options with a config file's over them (numReplicas and autoscalingConfig replace each other). */
function withOverrides(given: DeploymentOptions, name: string, o: AppOverrides | undefined): DeploymentOptions {
  const over = o?.deployments[name];
  let merged: DeploymentOptions = given;
  if (over !== undefined) {
    const { name: _n, ...rest } = over;
    merged = { ...given, ...rest };
    if (rest.numReplicas !== undefined && rest.autoscalingConfig === undefined) delete merged.autoscalingConfig;
    if (rest.autoscalingConfig !== undefined && rest.numReplicas === undefined) delete merged.numReplicas;
  }
  if (o?.runtimeEnv !== undefined) {
    const actor = merged.actorOptions ?? {};
    merged = { ...merged, actorOptions: { ...actor, runtimeEnv: { ...o.runtimeEnv, ...(actor.runtimeEnv ?? {}) } as NonNullable<typeof actor.runtimeEnv> } };
  }
  return merged;
}

/** The specs of every deployment of `root` (the ingress first). */
export function appSpec(root: Application<unknown>, name: string, routePrefix: string | null, overrides?: AppOverrides): AppSpec {
  if (!(root instanceof Application)) throw new TypeError("serve.run() takes an Application: a deployment with its arguments, e.g. Model.bind()");
  const specs: DeploymentSpec[] = [];
  const names = new Map<Application<unknown>, string>();
  const taken = new Set<string>();

  const visit = (app: Application<unknown>): string => {
    const known = names.get(app);
    if (known !== undefined) return known;
    const d = app.deployment;
    let deploymentName = d.name;
    for (let i = 1; taken.has(deploymentName); i++) deploymentName = `${d.name}_${i}`;
    taken.add(deploymentName);
    names.set(app, deploymentName);
    const args = app.args.map((a, i) => marked(a, visit, name, `${deploymentName}: argument ${i}`));
    checkStorable(args, `the arguments of deployment ${deploymentName}`);
    checkStorable(d.deploymentOptions.userConfig, `the userConfig of deployment ${deploymentName}`);
    const given = withOverrides(d.deploymentOptions, deploymentName, overrides);
    specs.push({
      name: deploymentName,
      target: { ...d.target, name: deploymentName },
      initArgs: args,
      given,
      options: compileOptions(given),
      version: versionOf(name, { kind: d.target.kind, id: d.target.shipped.functionId, routes: d.target.routes?.functionId }, args, given),
    });
    return deploymentName;
  };
  const ingress = visit(root);
  for (const d of Object.keys(overrides?.deployments ?? {})) {
    if (!taken.has(d)) throw new InvalidOptionError({ option: `deployments.${d}`, expected: `the name of one of the application's deployments (${[...taken].join(", ")})`, received: d });
  }
  return { name, routePrefix, ingress, deployments: specs.reverse() };
}

/** Bound deployments (and handles) among the arguments, at any depth of arrays and plain objects, as markers. */
function marked(value: unknown, visit: (app: Application<unknown>) => string, appName: string, where: string, depth = 0): unknown {
  if (value instanceof Application) return { __luxServeHandle: { app: appName, deployment: visit(value) } } satisfies HandleMarker;
  if (isDeploymentHandle(value)) return { __luxServeHandle: { app: value.appName, deployment: value.deploymentName } } satisfies HandleMarker;
  if (depth > 4 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => marked(v, visit, appName, where, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, marked(v, visit, appName, where, depth + 1)]));
}
