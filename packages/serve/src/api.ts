/**
 * serve's functions in the driver: start the controller (and its proxies), run and delete
 * applications, read their status, get handles, shut everything down. Each finds the
 * controller by its name, so any job of the cluster (a `lux serve` command, another driver)
 * reaches the same one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as lux from "lux";
import { ApplicationNotFoundError, DeploymentFailedError, InvalidOptionError } from "lux";
import { appSpec, checkAppName, checkRoutePrefix, type RunOptions } from "./app-graph.js";
import { ControllerActor } from "./controller.js";
import { findController, forgetController, type ControllerHandle } from "./controller-client.js";
import type { Application } from "./deployment.js";
import { makeHandle, type DeploymentHandle } from "./handle.js";
import { resetRouters } from "./routers.js";
import { CONTROLLER_NAME, SERVE_NAMESPACE, type AppSpec, type CompiledHttpOptions, type HttpOptions, type ServeStatus, HTTP_OPTION_KEYS } from "./specs.js";

/** `serve.start`'s options. */
export interface StartOptions {
  http?: HttpOptions;
}

export function compileHttp(http: HttpOptions = {}, where = "http"): CompiledHttpOptions {
  if (typeof http !== "object" || http === null) throw new InvalidOptionError({ option: where, expected: "an object", received: http });
  for (const k of Object.keys(http)) if (!HTTP_OPTION_KEYS.includes(k)) throw new InvalidOptionError({ option: `${where}.${k}`, expected: `one of ${HTTP_OPTION_KEYS.join(", ")}`, received: k });
  const host = http.host ?? "127.0.0.1";
  const port = http.port ?? 8000;
  if (typeof host !== "string" || host === "") throw new InvalidOptionError({ option: `${where}.host`, expected: "an address such as 127.0.0.1", received: host });
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError({ option: `${where}.port`, expected: "a port number (0 picks a free one)", received: port });
  const t = http.requestTimeoutMs;
  if (t !== undefined && (typeof t !== "number" || !(t > 0))) throw new InvalidOptionError({ option: `${where}.requestTimeoutMs`, expected: "a number of milliseconds > 0", received: t });
  const body = http.bodyMaxBytes ?? 100 * 2 ** 20;
  if (!Number.isInteger(body) || body < 1) throw new InvalidOptionError({ option: `${where}.bodyMaxBytes`, expected: "an integer >= 1", received: body });
  return { host, port, requestTimeoutMs: t, bodyMaxBytes: body, ssl: compileSsl(http, where) };
}

/** The certificate and key files, both or neither, each a readable file (checked where the options are given). */
function compileSsl(http: HttpOptions, where: string): CompiledHttpOptions["ssl"] {
  const { sslCertfile: cert, sslKeyfile: key } = http;
  if (cert === undefined && key === undefined) return undefined;
  const file = (name: "sslCertfile" | "sslKeyfile", value: unknown, other: "sslCertfile" | "sslKeyfile"): string => {
    if (value === undefined) throw new InvalidOptionError({ option: `${where}.${name}`, expected: `a PEM file's path, given with ${where}.${other}`, received: value });
    if (typeof value !== "string" || value === "") throw new InvalidOptionError({ option: `${where}.${name}`, expected: "a PEM file's path", received: value });
    const absolute = path.resolve(value);
    try {
      fs.accessSync(absolute, fs.constants.R_OK);
    } catch (e) {
      throw new InvalidOptionError({ option: `${where}.${name}`, expected: "a readable PEM file", received: `${absolute} (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    }
    return absolute;
  };
  return { certfile: file("sslCertfile", cert, "sslKeyfile"), keyfile: file("sslKeyfile", key, "sslCertfile") };
}

function requireInit(operation: string): void {
  if (!lux.isInitialized()) throw new lux.NotInitializedError({ operation });
}

/**
 * Starts serve in the cluster: its controller (detached, so it outlives this driver) and an
 * HTTP proxy on every node, on `http.host:http.port`. Already started: nothing changes (the
 * http options stay those of the first start).
 */
export async function start(options: StartOptions = {}): Promise<ServeStatus> {
  requireInit("serve.start");
  const http = compileHttp(options.http);
  const running = await withController(
    (c) => lux.get(c.ready.remote()).then(() => c),
    () => undefined,
  );
  let controller = running;
  if (controller === undefined) {
    try {
      controller = ControllerActor.options({
        name: CONTROLLER_NAME,
        namespace: SERVE_NAMESPACE,
        lifetime: "detached",
        maxRestarts: -1,
        maxConcurrency: 100_000,
        numCpus: 0,
      }).remote(http) as ControllerHandle;
    } catch (e) {
      // Another driver started it at the same moment.
      if (!(e instanceof lux.ActorNameTakenError)) throw e;
      controller = (await findController()) as ControllerHandle;
    }
  }
  await lux.get(controller.ready.remote());
  return lux.get(controller.getStatus.remote());
}

async function controllerOrStart(): Promise<ControllerHandle> {
  await start();
  return (await findController()) as ControllerHandle;
}

/** The controller's own errors (a taken routePrefix, an unknown app) come back wrapped as a TaskError: as themselves. */
export async function controllerCall<T>(ref: lux.ObjectRef<T>): Promise<T> {
  try {
    return await lux.get(ref);
  } catch (e) {
    if (e instanceof lux.TaskError && e.cause instanceof lux.LuxError) throw e.cause;
    throw e;
  }
}

/**
 * `use` with the controller's handle; `missing` when serve is not started. A handle this
 * process kept from before is checked: if its controller was shut down (by another process),
 * the controller is looked up again.
 */
async function withController<T>(use: (c: ControllerHandle) => Promise<T>, missing: () => Promise<T> | T): Promise<T> {
  const c = await findController();
  if (c === undefined) return missing();
  try {
    return await use(c);
  } catch (e) {
    if (!(e instanceof lux.ActorDiedError)) throw e;
    forgetController();
    const again = await findController();
    return again === undefined ? missing() : use(again);
  }
}

/** Sends applications to the controller and waits for them to run; rejects with DeploymentFailedError. */
export async function deployAndWait(specs: AppSpec[], declarative: boolean, timeoutMs: number): Promise<void> {
  const controller = await controllerOrStart();
  await controllerCall(controller.deployApps.remote(specs, declarative));
  const statuses = await lux.get(controller.waitForApps.remote(specs.map((s) => s.name), timeoutMs));
  for (const spec of specs) {
    const s = statuses[spec.name];
    if (s?.status === "DEPLOY_FAILED") {
      const failed = Object.values(s.deployments).find((d) => d.status === "DEPLOY_FAILED");
      throw new DeploymentFailedError({ app: spec.name, deployment: failed?.name ?? spec.ingress, reason: failed?.message ?? s.message });
    }
  }
}

/**
 * Deploys an application (starting serve when it is not) and resolves with a handle to its
 * ingress once it runs. Redeploying under the same name updates it: unchanged deployments
 * keep their replicas, a changed userConfig alone reconfigures them, other changes roll.
 */
export async function run<T>(app: Application<T>, options: RunOptions = {}): Promise<DeploymentHandle<T>> {
  requireInit("serve.run");
  const name = checkAppName(options.name ?? "default");
  const prefix = checkRoutePrefix(options.routePrefix === undefined ? "/" : options.routePrefix);
  const spec = appSpec(app as Application<unknown>, name, prefix);
  await deployAndWait([spec], false, options.timeoutMs ?? 600_000);
  return makeHandle<T>(name, spec.ingress);
}

/** The applications, their deployments and replicas, and the proxies. Not started: no application, no proxy. */
export async function status(): Promise<ServeStatus> {
  requireInit("serve.status");
  return withController(
    (c) => lux.get(c.getStatus.remote()),
    () => ({ proxies: {}, applications: {}, http: undefined, controller: undefined }),
  );
}

/** Deletes an application: its replicas finish their requests and end; its route goes. */
async function deleteApp(name: string, options: { timeoutMs?: number } = {}): Promise<void> {
  requireInit("serve.delete");
  await withController(
    async (c) => {
      await controllerCall(c.deleteApps.remote([name]));
      await lux.get(c.waitForApps.remote([name], options.timeoutMs ?? 60_000));
    },
    () => {
      throw new ApplicationNotFoundError({ app: name, known: [] });
    },
  );
}
export { deleteApp as delete };

/** Deletes every application, stops the proxies and ends the controller. */
export async function shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
  requireInit("serve.shutdown");
  await withController(
    async (c) => {
      await lux.get(c.shutdown.remote(options.timeoutMs ?? 60_000));
      await lux.kill(c).catch(() => undefined);
    },
    () => undefined,
  );
  forgetController();
  resetRouters(new ApplicationNotFoundError({ app: "(any)", known: [] }));
}

/** A handle to application `name`'s ingress deployment. */
export async function getAppHandle<T = any>(name: string): Promise<DeploymentHandle<T>> {
  const s = await status();
  const app = s.applications[name];
  if (app === undefined) throw new ApplicationNotFoundError({ app: name, known: Object.keys(s.applications) });
  return makeHandle<T>(name, app.ingress);
}

/** A handle to deployment `deployment` of application `app`. */
export async function getDeploymentHandle<T = any>(deployment: string, app = "default"): Promise<DeploymentHandle<T>> {
  const s = await status();
  const a = s.applications[app];
  if (a === undefined) throw new ApplicationNotFoundError({ app, known: Object.keys(s.applications) });
  if (a.deployments[deployment] === undefined) throw new ApplicationNotFoundError({ app, deployment, known: Object.keys(a.deployments) });
  return makeHandle<T>(app, deployment);
}
