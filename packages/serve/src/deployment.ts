/**
 * `serve.deployment(ClassOrFunction, options)`: a Deployment, which `bind(...args)` turns
 * into an Application (the deployment with its constructor arguments; bound deployments
 * among them become DeploymentHandles in the constructor). The code is shipped as
 * `lux.ship` ships it (by value, in its module's scope), at this call, so the module that
 * calls `serve.deployment` is where its code is found.
 */
import * as lux from "lux";
import { INGRESS_ROUTES, ROUTES_ONLY, type Ingress, type IngressRoutes } from "./ingress.js";
import { checkDeploymentOptions, type DeploymentOptions } from "./options.js";
import type { DeploymentHandle } from "./handle.js";
import type { TargetSpec } from "./specs.js";

type AnyClass = abstract new (...args: any[]) => object;
type AnyFunction = (...args: any[]) => unknown;

/** Where a constructor takes a DeploymentHandle<U>, `bind` also takes an Application<U>. */
export type BindArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] extends DeploymentHandle<infer U> ? A[K] | Application<U> : A[K] };

/** A deployment bound to its constructor arguments: what `serve.run` deploys (and `bind` composes). */
export class Application<T = unknown> {
  /** @internal */
  constructor(
    readonly deployment: Deployment<T>,
    readonly args: readonly unknown[],
  ) {}

  /** Never set: carries T for the type checker. */
  declare readonly __serveType?: T;
}

/** A class or function made a deployment; `bind(...)` it to deploy it. */
export class Deployment<T = unknown, A extends readonly unknown[] = unknown[]> {
  /** @internal */
  constructor(
    readonly name: string,
    /** @internal */ readonly target: TargetSpec,
    readonly deploymentOptions: DeploymentOptions,
  ) {}

  /** The deployment with its constructor's arguments: an Application to run or to give to another `bind`. */
  bind(...args: BindArgs<A>): Application<T> {
    return new Application<T>(this as unknown as Deployment<T>, args);
  }

  /** The same deployment with these options merged over its own (a new `name` names a new deployment). */
  options(options: DeploymentOptions): Deployment<T, A> {
    checkDeploymentOptions(options);
    const merged: DeploymentOptions = { ...this.deploymentOptions, ...options };
    if (options.numReplicas !== undefined) delete merged.autoscalingConfig;
    if (options.autoscalingConfig !== undefined) delete merged.numReplicas;
    checkDeploymentOptions(merged);
    return new Deployment<T, A>(options.name ?? this.name, this.target, merged);
  }
}

/** `serve.deployment(serve.ingress(routes))`: fastify routes alone. */
export function deployment<T>(target: Ingress<T>, options?: DeploymentOptions): Deployment<unknown, []>;
/** `serve.deployment(Class)`: replicas are instances of the class; its methods are called by handle, `call(request)` by HTTP. */
export function deployment<C extends AnyClass>(target: C, options?: DeploymentOptions): Deployment<InstanceType<C>, ConstructorParameters<C>>;
/** `serve.deployment(fn)`: replicas call the function, with a handle's arguments or an HTTP `Request`. */
export function deployment<F extends AnyFunction>(target: F, options?: DeploymentOptions): Deployment<F, []>;
export function deployment(target: AnyClass | AnyFunction, options: DeploymentOptions = {}): Deployment {
  if (typeof target !== "function") throw new TypeError(`serve.deployment() takes a class or a function, got ${target === null ? "null" : typeof target}`);
  checkDeploymentOptions(options);
  const routesOnly = (target as { [ROUTES_ONLY]?: IngressRoutes })[ROUTES_ONLY];
  if (routesOnly !== undefined) {
    const shipped = lux.ship(routesOnly) as lux.Shipped<unknown>;
    const name = options.name ?? "Ingress";
    return new Deployment(name, { kind: "routes", shipped, name, routes: shipped }, options);
  }
  const isClass = /^class\b/.test(Function.prototype.toString.call(target));
  const name = options.name ?? (target.name || "Deployment");
  const routes = (target as { [INGRESS_ROUTES]?: IngressRoutes })[INGRESS_ROUTES];
  const spec: TargetSpec = {
    kind: isClass ? "class" : "function",
    shipped: lux.ship(target as AnyFunction) as lux.Shipped<unknown>,
    name,
    ...(routes !== undefined ? { routes: lux.ship(routes) as lux.Shipped<unknown> } : {}),
  };
  return new Deployment(name, spec, options);
}
