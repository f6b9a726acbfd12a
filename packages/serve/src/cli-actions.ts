/** What the `lux serve` commands do once connected (cli.ts parses their flags). */
import * as lux from "lux";
import { InvalidOptionError, InvalidServeConfigError } from "lux";
import { stringify } from "yaml";
import { compileHttp, deployAndWait, shutdown, start, status } from "./api.js";
import { appSpec, checkAppName, checkRoutePrefix } from "./app-graph.js";
import { configAppSpec, importApplication } from "./app-loader.js";
import { readServeConfig, splitImportPath } from "./config-file.js";
import type { AppSpec, HttpOptions, ServeStatus } from "./specs.js";

export interface RunFlags {
  name: string;
  routePrefix: string;
  host: string;
  port: string;
  args?: string;
}

const isConfigFile = (target: string): boolean => /\.ya?ml$/i.test(target);

/** The config file's applications, as specs, and its http options. */
async function configSpecs(file: string): Promise<{ specs: AppSpec[]; http: HttpOptions | undefined }> {
  const config = readServeConfig(file);
  const specs: AppSpec[] = [];
  for (const [i, app] of config.applications.entries()) specs.push(await configAppSpec(app, i, file));
  if (config.http !== undefined) {
    try {
      compileHttp(config.http);
    } catch (e) {
      if (e instanceof InvalidOptionError) throw new InvalidServeConfigError({ file, path: e.option, problem: `expected ${e.expected}` });
      throw e;
    }
  }
  return { specs, http: config.http };
}

function parseArgs(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidOptionError({ option: "--args", expected: 'a JSON object such as \'{"model": "small"}\'', received: json });
}

function where(s: ServeStatus, app: AppSpec): string {
  const urls = Object.values(s.proxies).map((p) => p.url).filter((u): u is string => u !== undefined);
  if (app.routePrefix === null || urls.length === 0) return "";
  return ` at ${urls.map((u) => `${u}${app.routePrefix === "/" ? "/" : app.routePrefix}`).join(", ")}`;
}

/** `lux serve run`: deploys, prints where, and stays until SIGINT/SIGTERM, then shuts serve down. */
export async function runTarget(target: string, flags: RunFlags): Promise<void> {
  let specs: AppSpec[];
  let http: HttpOptions = { host: flags.host, port: Number(flags.port) };
  if (isConfigFile(target)) {
    const config = await configSpecs(target);
    specs = config.specs;
    http = config.http ?? http;
  } else {
    const { module, exportName } = splitImportPath(target, process.cwd());
    const root = await importApplication(module, exportName, parseArgs(flags.args), { path: target });
    specs = [appSpec(root, checkAppName(flags.name, "--name"), checkRoutePrefix(flags.routePrefix, "--route-prefix"))];
  }
  await start({ http });
  await deployAndWait(specs, false, 600_000);
  const s = await status();
  for (const app of specs) process.stdout.write(`application "${app.name}" is ${s.applications[app.name]?.status ?? "?"}${where(s, app)}\n`);
  await new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    const stop = (): void => {
      clearInterval(keepAlive);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stdout.write("shutting serve down\n");
  await shutdown();
  await lux.shutdown();
}

/** `lux serve deploy`: the file's applications are all the applications. Returns what to print. */
export async function deployFile(file: string): Promise<string> {
  const { specs, http } = await configSpecs(file);
  const before = await status();
  if (before.controller === undefined) await start(http !== undefined ? { http } : {});
  await deployAndWait(specs, true, 600_000);
  const s = await status();
  return specs.map((app) => `application "${app.name}" is ${s.applications[app.name]?.status ?? "?"}${where(s, app)}\n`).join("");
}

/** `lux serve status`: YAML of what runs. */
export async function serveStatusYaml(): Promise<string> {
  const s = await status();
  const out = {
    proxies: Object.fromEntries(Object.entries(s.proxies).map(([id, p]) => [id, p.status === "HEALTHY" ? `${p.status} ${p.url ?? ""}`.trim() : `${p.status}: ${p.message}`])),
    applications: Object.fromEntries(
      Object.entries(s.applications).map(([name, a]) => [
        name,
        {
          status: a.status,
          message: a.message,
          routePrefix: a.routePrefix,
          lastDeployedAt: new Date(a.lastDeployedAt).toISOString(),
          deployments: Object.fromEntries(
            Object.entries(a.deployments).map(([dn, d]) => [dn, { status: d.status, message: d.message, targetReplicas: d.targetReplicas, replicaStates: d.replicaStates }]),
          ),
        },
      ]),
    ),
  };
  return stringify(out);
}

