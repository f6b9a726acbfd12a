/**
 * `lux serve build`: the config YAML of an application in code, with each deployment's
 * options as its code gives them, for editing and `lux serve deploy`. Nothing runs: the
 * module is imported and its application's deployments listed.
 */
import * as path from "node:path";
import { importApplication } from "./app-loader.js";
import { checkAppName, checkRoutePrefix } from "./app-graph.js";
import { splitImportPath } from "./config-file.js";
import { Application } from "./deployment.js";
import type { DeploymentOptions } from "./options.js";

/** Deployments of an application graph, each once, the ingress last (as `appSpec` names them). */
function deploymentsOf(root: Application<unknown>): (DeploymentOptions & { name: string })[] {
  const out: (DeploymentOptions & { name: string })[] = [];
  const seen = new Set<Application<unknown>>();
  const taken = new Set<string>();
  const visit = (app: Application<unknown>): void => {
    if (seen.has(app)) return;
    seen.add(app);
    let name = app.deployment.name;
    for (let i = 1; taken.has(name); i++) name = `${app.deployment.name}_${i}`;
    taken.add(name);
    const walk = (v: unknown, depth: number): void => {
      if (v instanceof Application) visit(v);
      else if (depth < 4 && Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
      else if (depth < 4 && typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach((x) => walk(x, depth + 1));
    };
    app.args.forEach((a) => walk(a, 0));
    out.push({ ...app.deployment.deploymentOptions, name });
  };
  visit(root);
  return out;
}

export async function buildConfig(importPath: string, opts: { name: string; routePrefix: string }, outDir: string): Promise<unknown> {
  const { module, exportName } = splitImportPath(importPath, process.cwd());
  const root = await importApplication(module, exportName, undefined, { path: importPath });
  let relative = path.relative(outDir, module);
  if (!relative.startsWith(".")) relative = `./${relative}`;
  return {
    http: { host: "127.0.0.1", port: 8000 },
    applications: [
      {
        name: checkAppName(opts.name, "--name"),
        routePrefix: checkRoutePrefix(opts.routePrefix, "--route-prefix"),
        importPath: `${relative}:${exportName}`,
        deployments: deploymentsOf(root),
      },
    ],
  };
}
