/**
 * The head's HTTP server: the dashboard, the state routes and the jobs API share one port
 * (`lux start --head --dashboard-port`). Every route needs the cluster token, as a bearer
 * token or a session made by logging in with it, except `GET /healthz` and the login page.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { DashboardAuth } from "./auth.js";
import { loginPage } from "./login-page.js";
import { registerJobRoutes, type JobsSource } from "./jobs/job-routes.js";
import { registerLogRoutes, type LogsSource } from "./log-routes.js";
import { registerStateRoutes, type StateSource } from "./state-routes.js";
import { registerUiRoutes, type UiRoutesOptions } from "./ui-routes.js";

export interface DashboardServerOptions {
  /** The cluster token. */
  token: string;
  /** Where the state routes read the cluster (a `lux.state` client). */
  state: StateSource;
  /** The jobs API's logic (a JobManager); without it the server has no jobs routes. */
  jobs?: JobsSource;
  /** Where the log routes read the nodes' logs (a `lux.state` client); without it the server has no log routes. */
  logs?: LogsSource;
  /** How long a browser session lasts (default 24 h). */
  sessionTtlMs?: number;
  /** Sessions kept at most (default 1,000). */
  maxSessions?: number;
  /** The web UI's files, its live figures' sampling (ui-routes.ts). */
  ui?: Omit<UiRoutesOptions, "state">;
}

/** Routes anyone may call: they hold no cluster data. */
const OPEN_ROUTES = new Set(["GET /healthz", "GET /login", "POST /login"]);

/** The head's HTTP server (not listening yet: call `listen`). */
export function createDashboardServer(options: DashboardServerOptions): FastifyInstance {
  // forceCloseConnections: browsers keep connections open (live streams, keep-alive) that would hold `close()` up.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  const auth = new DashboardAuth(options.token, { sessionTtlMs: options.sessionTtlMs ?? 24 * 3600_000, maxSessions: options.maxSessions ?? 1000 });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook("onRequest", async (req, reply) => {
    const route = `${req.method} ${req.routeOptions.url ?? req.url.split("?")[0]}`;
    if (OPEN_ROUTES.has(route)) return;
    if (auth.authorized(req.headers.authorization, req.headers.cookie)) return;
    await refuse(req, reply);
  });
  app.get("/healthz", async (_req, reply) => reply.type("text/plain").send("ok"));
  app.get("/login", async (_req, reply) => reply.type("text/html").send(loginPage()));
  app.post("/login", async (req, reply) => {
    const body = (req.body ?? {}) as { token?: unknown };
    const wantsJson = !isForm(req);
    if (typeof body.token !== "string" || !auth.tokenMatches(body.token)) {
      if (wantsJson) return reply.code(401).send({ error: "unauthorized", message: "the token is not this cluster's token" });
      return reply.code(401).type("text/html").send(loginPage("That is not this cluster's token."));
    }
    reply.header("set-cookie", auth.sessionCookie(auth.createSession()));
    return wantsJson ? reply.send({ ok: true }) : reply.redirect("/", 303);
  });
  app.post("/logout", async (req, reply) => {
    auth.endSession(req.headers.cookie);
    reply.header("set-cookie", `lux_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return isForm(req) ? reply.redirect("/login", 303) : reply.send({ ok: true });
  });
  registerStateRoutes(app, options.state);
  if (options.jobs !== undefined) registerJobRoutes(app, options.jobs);
  if (options.logs !== undefined) registerLogRoutes(app, options.logs);
  registerUiRoutes(app, { ...options.ui, state: options.state });
  return app;
}

/** 401 for API callers; a browser asking for a page goes to the login page instead. */
async function refuse(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const browserPage = req.method === "GET" && !req.url.startsWith("/api/") && (req.headers.accept ?? "").includes("text/html");
  if (browserPage) {
    await reply.redirect("/login", 303);
    return;
  }
  await reply
    .code(401)
    .header("www-authenticate", 'Bearer realm="lux"')
    .send({ error: "unauthorized", message: "this route needs the cluster token: send `Authorization: Bearer <token>`, or log in at /login" });
}

function isForm(req: FastifyRequest): boolean {
  return (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
}
