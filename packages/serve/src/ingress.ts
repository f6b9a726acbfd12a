/**
 * `serve.ingress(routes)`: gives a deployment fastify routes. The replica builds a fastify
 * instance (no socket) with `routes(app, self)` (`self`: the deployment's instance, or its
 * function) and answers each HTTP request with `app.inject`. Paths are below the
 * application's routePrefix (`/api/items` under `/api` is `/items`).
 *
 * @example
 * ```ts
 * class Api { constructor(private readonly model: serve.DeploymentHandle<Model>) {} }
 * const ApiRoutes = serve.ingress<Api>((app, api) => {
 *   app.post("/predict", async (req) => api.model.predict.remote(req.body));
 * });
 * export const app = serve.deployment(ApiRoutes(Api)).bind(Model.bind());
 * ```
 */
import type { FastifyInstance } from "fastify";

/** The routes function: registers routes on `app`; `self` is the deployment's instance. */
export type IngressRoutes<T = any> = (app: FastifyInstance, self: T) => void | Promise<void>;

/** Where a class (or function) keeps its routes until `serve.deployment` ships them. */
export const INGRESS_ROUTES = Symbol.for("lux.serve.ingressRoutes");

/** Marks what `serve.ingress` returns: deployed as it is, it is a deployment of routes only. */
export const ROUTES_ONLY = Symbol.for("lux.serve.routesOnly");

/** What `serve.ingress(routes)` returns: deploy it as it is (routes only), or apply it to a class first. */
export interface Ingress<T> {
  <C extends Function>(target: C, context?: unknown): C;
  readonly [ROUTES_ONLY]: IngressRoutes<T>;
}

/**
 * Fastify routes for a deployment. `serve.deployment(serve.ingress(routes))` deploys the routes
 * alone; `serve.deployment(serve.ingress(routes)(Class))` (or `@serve.ingress(routes)` on the
 * class) gives them the class's instance as `self`.
 */
export function ingress<T = any>(routes: IngressRoutes<T>): Ingress<T> {
  if (typeof routes !== "function") throw new TypeError(`serve.ingress() takes a function (app: FastifyInstance, self) => …, got ${typeof routes}`);
  const apply = <C extends Function>(target: C): C => {
    if (typeof target !== "function") throw new TypeError(`serve.ingress(routes)(target) takes a class or a function, got ${typeof target}`);
    Object.defineProperty(target, INGRESS_ROUTES, { value: routes, configurable: true });
    return target;
  };
  Object.defineProperty(apply, ROUTES_ONLY, { value: routes });
  return apply as Ingress<T>;
}
