/**
 * The deployment's own code in its replica: the class (constructed with its arguments,
 * bound deployments revived as handles) or the function, its methods called by name, its
 * optional `reconfigure(userConfig)` and `checkHealth()`, and the fastify routes of
 * `serve.ingress`, served in the replica with `app.inject` (no socket).
 */
import * as lux from "lux";
import { fastify, type FastifyInstance } from "fastify";
import { makeHandle } from "./handle.js";
import { isHandleMarker, type HttpRequestData, type HttpResponseData, type TargetSpec } from "./specs.js";

type Callable = (...args: unknown[]) => unknown;

/** Bound deployments (markers) back as handles, in arrays and plain objects too. */
export function reviveHandles(value: unknown, depth = 0): unknown {
  if (isHandleMarker(value)) return makeHandle(value.__luxServeHandle.app, value.__luxServeHandle.deployment);
  if (depth > 4 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => reviveHandles(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = reviveHandles(v, depth + 1);
  return out;
}

/** `/api/items?x=1` under prefix `/api` is `/items?x=1`: fastify routes are relative to the routePrefix. */
export function belowPrefix(url: string, prefix: string): string {
  if (prefix === "/" || !url.startsWith(prefix)) return url;
  const rest = url.slice(prefix.length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

export class UserCode {
  private constructor(
    readonly name: string,
    private readonly instance: Record<string, unknown> | undefined,
    private readonly fn: Callable | undefined,
    readonly ingress: FastifyInstance | undefined,
  ) {}

  static async load(target: TargetSpec, initArgs: readonly unknown[]): Promise<UserCode> {
    const loaded = target.kind === "routes" ? undefined : await lux.loadShipped(target.shipped);
    const args = initArgs.map((a) => reviveHandles(a));
    let instance: Record<string, unknown> | undefined;
    let fn: Callable | undefined;
    if (target.kind === "class") instance = new (loaded as new (...a: unknown[]) => Record<string, unknown>)(...args);
    else if (target.kind === "function") fn = loaded as Callable;
    let ingress: FastifyInstance | undefined;
    if (target.routes !== undefined) {
      const routes = (await lux.loadShipped(target.routes)) as (app: FastifyInstance, self: unknown) => unknown;
      ingress = fastify({ logger: false });
      await routes(ingress, instance ?? fn);
      await ingress.ready();
    }
    return new UserCode(target.name, instance, fn, ingress);
  }

  /** The method `name` (`__call__`: the function, or the class's `call`), or a TypeError naming what is missing. */
  method(name: string): Callable {
    if (name === "__call__") {
      if (this.fn !== undefined) return this.fn;
      name = "call";
    }
    const m = this.instance?.[name];
    if (typeof m !== "function") {
      const what = this.instance === undefined ? `function deployment ${this.name} has no methods (call it with handle.remote(...))` : `deployment ${this.name} has no method ${name}()`;
      throw new TypeError(what);
    }
    return (m as Callable).bind(this.instance);
  }

  hasMethod(name: string): boolean {
    return typeof this.instance?.[name] === "function";
  }

  async reconfigure(userConfig: unknown): Promise<void> {
    if (this.hasMethod("reconfigure")) await this.method("reconfigure")(userConfig);
  }

  async checkHealth(): Promise<void> {
    if (this.hasMethod("checkHealth")) await this.method("checkHealth")();
  }

  /** An HTTP request to the ingress: fastify routes by inject, else `call(req)` (or the function). */
  async http(request: () => Request, data: HttpRequestData): Promise<unknown> {
    if (this.ingress !== undefined) return this.inject(this.ingress, data);
    if (this.fn === undefined && !this.hasMethod("call")) {
      throw new TypeError(`deployment ${this.name} is reached over HTTP but has no call(request) method (or serve.ingress routes)`);
    }
    return this.method("__call__")(request());
  }

  private async inject(app: FastifyInstance, data: HttpRequestData): Promise<HttpResponseData> {
    const res = await app.inject({
      method: data.method as "GET",
      url: belowPrefix(data.url, data.routePrefix),
      headers: data.headers,
      ...(data.body !== undefined && data.body.byteLength > 0 ? { payload: Buffer.from(data.body.buffer, data.body.byteOffset, data.body.byteLength) } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || k === "content-length" || k === "connection" || k === "transfer-encoding") continue;
      headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    }
    return { kind: "full", status: res.statusCode, headers, body: new Uint8Array(res.rawPayload) };
  }

  async close(): Promise<void> {
    await this.ingress?.close();
  }
}
