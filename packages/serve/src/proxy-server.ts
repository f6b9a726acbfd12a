/**
 * The HTTP proxy's server (fastify): `/-/healthz`, `/-/routes`, and every other path routed
 * by its longest matching routePrefix to that application's ingress deployment, through this
 * process's router for it. Errors: unknown path 404 `Path '/x' not found`; a full queue 503;
 * a replica that died under the request 502; past requestTimeoutMs 408; the deployment's own
 * throw 500 `{ error, message, requestId }` (made by the replica).
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as lux from "lux";
import { ActorDiedError, ApplicationNotFoundError, BackPressureError } from "lux";
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { recordHttp } from "./metrics.js";
import type { ReplicaSlot, Router } from "./router.js";
import { routers } from "./routers.js";
import type { ServeReplica } from "./replica.js";
import type { CompiledHttpOptions, HttpRequestData, HttpResponseData, RouteTable } from "./specs.js";
import { wantsEventStream } from "./http-codec.js";

type Replica = lux.ActorHandle<ServeReplica>;
type Route = RouteTable["routes"][number];

/** The route whose prefix is the longest one `path` starts with (at a segment boundary). */
export function matchRoute(routes: readonly Route[], path: string): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    const p = r.prefix;
    const hit = p === "/" || path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`);
    if (hit && (best === undefined || p.length > best.prefix.length)) best = r;
  }
  return best;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function flatHeaders(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

class Timeout {
  fired = false;
}

export class ProxyServer {
  readonly app: FastifyInstance;
  private routes: Route[] = [];

  constructor(private readonly http: CompiledHttpOptions) {
    const common = { logger: false, bodyLimit: http.bodyMaxBytes, requestIdHeader: false } as const;
    // An HTTPS instance is typed over https.Server; nothing here depends on the server's type.
    this.app =
      http.ssl === undefined
        ? fastify(common)
        : (fastify({ ...common, https: { cert: fs.readFileSync(http.ssl.certfile), key: fs.readFileSync(http.ssl.keyfile), minVersion: "TLSv1.2" } }) as unknown as FastifyInstance);
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    this.app.get("/-/healthz", async () => "success");
    this.app.get("/-/routes", async () => Object.fromEntries(this.routes.map((r) => [r.prefix, r.app])));
    this.app.all("/*", (req, reply) => this.handle(req, reply));
    this.app.all("/", (req, reply) => this.handle(req, reply));
  }

  setRoutes(table: RouteTable): void {
    this.routes = table.routes;
  }

  async listen(): Promise<string> {
    return this.app.listen({ host: this.http.host, port: this.http.port });
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const path = (req.url.split("?")[0] as string) || "/";
    const route = matchRoute(this.routes, path);
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    void reply.header("x-request-id", requestId);
    if (route === undefined) {
      await reply.code(404).type("text/plain; charset=utf-8").send(`Path '${path}' not found`);
      return;
    }
    const status = await this.forward(route, req, reply, requestId);
    recordHttp(route.prefix, req.method, status, performance.now() - started);
  }

  /** Sends the request to a replica of the route's ingress and writes its answer; returns the status. */
  private async forward(route: Route, req: FastifyRequest, reply: FastifyReply, requestId: string): Promise<number> {
    const router = routers().get(route.app, route.ingress);
    const timeout = new Timeout();
    const limit = this.http.requestTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = limit === undefined ? undefined : new Promise<never>((_, reject) => (timer = setTimeout(() => reject((timeout.fired = true, timeout)), limit)));
    expired?.catch(() => undefined);
    let slot: ReplicaSlot | undefined;
    let streaming = false;
    try {
      slot = await race(acquire(router), expired, (late) => router.release(late));
      const data: HttpRequestData = {
        method: req.method,
        url: req.url,
        headers: flatHeaders(req),
        body: Buffer.isBuffer(req.body) ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined,
        host: req.headers.host ?? `${this.http.host}:${this.http.port}`,
        routePrefix: route.prefix,
      };
      const ref = (slot.ref.actor as Replica).handleHttp.remote({ requestId }, data);
      const res = await race(lux.get(ref), expired, () => undefined).catch((e: unknown) => {
        if (e === timeout) void lux.cancel(ref).catch(() => undefined);
        throw e;
      });
      if (res.kind === "full") {
        await reply.code(res.status).headers(res.headers).send(typeof res.body === "string" ? res.body : Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength));
        return res.status;
      }
      streaming = true;
      const s = slot;
      void this.stream(s.ref.actor as Replica, res, req, reply).finally(() => router.release(s));
      return res.status;
    } catch (e) {
      if (e instanceof ActorDiedError && slot !== undefined) router.replicaDied(slot);
      return this.fail(reply, e, timeout, requestId);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (slot !== undefined && !streaming) router.release(slot);
    }
  }

  private async fail(reply: FastifyReply, e: unknown, timeout: Timeout, requestId: string): Promise<number> {
    const [status, error] =
      e === timeout
        ? [408, { error: "RequestTimeout", message: `the request took longer than requestTimeoutMs (${this.http.requestTimeoutMs} ms)` }]
        : e instanceof BackPressureError
          ? [503, { error: e.name, message: e.message }]
          : e instanceof ActorDiedError
            ? [502, { error: e.name, message: `the replica died while handling the request: ${e.message}` }]
            : e instanceof ApplicationNotFoundError
              ? [404, { error: e.name, message: e.message }]
              : [500, { error: (e as Error).name ?? "Error", message: (e as Error).message ?? String(e) }];
    if (!reply.sent) await reply.code(status).type("application/json").send({ ...error, requestId });
    return status;
  }

  /** A streamed body: chunked (or Server-Sent Events); a client that leaves ends the replica's generator. */
  private async stream(replica: Replica, head: Extract<HttpResponseData, { kind: "stream" }>, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const gen = replica.streamHttp.remote(head.streamId, wantsEventStream(flatHeaders(req)));
    const raw: ServerResponse = reply.raw;
    const incoming: IncomingMessage = req.raw;
    reply.hijack();
    raw.writeHead(head.status, { ...head.headers, "x-request-id": String(reply.getHeader("x-request-id") ?? "") });
    let gone = false;
    const leave = (): void => {
      if (raw.writableFinished) return;
      gone = true;
      void gen.return();
    };
    incoming.socket.once("close", leave);
    try {
      for await (const ref of gen) {
        const chunk = await lux.get(ref);
        if (gone) break;
        if (!raw.write(chunk)) await new Promise((resolve) => raw.once("drain", resolve));
      }
    } catch (e) {
      console.error(`[serve] a streamed response failed: ${(e as Error).message}`);
    } finally {
      incoming.socket.off("close", leave);
      raw.end();
    }
  }
}

async function acquire(router: Router): Promise<ReplicaSlot> {
  const fresh = routers().poll.touch();
  if (fresh !== undefined) await fresh;
  return router.acquire(Date.now());
}

/** `work`, or the timeout's rejection first; a result that comes after the timeout goes to `late`. */
async function race<T>(work: Promise<T>, expired: Promise<never> | undefined, late: (value: T) => void): Promise<T> {
  if (expired === undefined) return work;
  let lost = false;
  void work.then((v) => lost && late(v), () => undefined);
  try {
    return await Promise.race([work, expired]);
  } catch (e) {
    lost = true;
    throw e;
  }
}
