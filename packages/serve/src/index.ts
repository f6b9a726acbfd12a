/**
 * `@lux/serve`: online serving on Lux (Ray Serve for TypeScript). Deployments run as replicas
 * (actors) behind an HTTP proxy on every node; handles call them from code, typed from their
 * class; a detached controller keeps them running, scaled and healthy. See docs/serve.md.
 *
 * @example
 * ```ts
 * import * as lux from "lux";
 * import * as serve from "@lux/serve";
 *
 * export class Greeter {
 *   constructor(private readonly greeting: string) {}
 *   call(req: Request) { return `${this.greeting}, ${new URL(req.url).searchParams.get("name")}!`; }
 *   greet(name: string) { return `${this.greeting}, ${name}!`; }
 * }
 * export const app = serve.deployment(Greeter, { numReplicas: 2 }).bind("Hello");
 *
 * lux.main(async () => {
 *   await lux.init();
 *   const handle = await serve.run(app);               // http://127.0.0.1:8000/?name=Ada
 *   console.log(await handle.greet.remote("Ada"));      // "Hello, Ada!"
 * });
 * ```
 */
export { deployment, Deployment, Application, type BindArgs } from "./deployment.js";
export { start, run, status, delete, shutdown, getAppHandle, getDeploymentHandle, type StartOptions } from "./api.js";
export type { RunOptions } from "./app-graph.js";
export {
  isDeploymentHandle,
  type DeploymentHandle,
  type StreamingDeploymentHandle,
  type HandleMethod,
  type StreamingHandleMethod,
  type HandleOptions,
  type HandleArgs,
} from "./handle.js";
export { DeploymentResponse, DeploymentResponseGenerator, type ResultOptions } from "./response.js";
export { batch, type BatchOptions } from "./batch.js";
export { ingress, type Ingress, type IngressRoutes } from "./ingress.js";
export type { DeploymentOptions, AutoscalingConfig, ReplicaActorOptions } from "./options.js";
export type {
  HttpOptions,
  ServeStatus,
  ApplicationStatus,
  ApplicationStatusInfo,
  DeploymentStatus,
  DeploymentStatusInfo,
  ReplicaStatus,
  ProxyStatus,
} from "./specs.js";
export { CONTROLLER_NAME, SERVE_NAMESPACE } from "./specs.js";
export { BackPressureError, DeploymentFailedError, InvalidServeConfigError, BatchSizeMismatchError, ApplicationNotFoundError, ActorDiedError, TaskError, InvalidOptionError } from "lux";
