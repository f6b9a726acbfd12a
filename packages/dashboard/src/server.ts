/**
 * The head's HTTP server: the dashboard, the state and log routes and the jobs API share one
 * port (`lux start --head --dashboard-port`). Every request passes, in order:
 *
 * 1. the Host check (421 for a name this server is not configured for: DNS rebinding);
 * 2. the Origin check on POST/PUT/PATCH/DELETE (403 for another site's page);
 * 3. the token: a bearer token or a session made by logging in with it, except on
 *    `GET /healthz` and the login page (`GET`/`POST /login`). A request whose credentials
 *    are wrong counts as a failed authentication of its address (429 past the limit).
 *
 * Bodies are read only after these, and only up to bodyMaxBytes. docs/security.md lists
 * every route with its auth (a test checks the list against this server's routes).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { AuthFailures, type AuthFailuresOptions } from "./auth-failures.js";
import { DashboardAuth, SESSION_COOKIE, cookieValue } from "./auth.js";
import { allowedHostNames, hostAllowed, originAllowed } from "./host-guard.js";
import { httpsServerFactory, type DashboardTls } from "./https-server.js";
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
  /**
   * Names and addresses a request's `Host` may carry (see host-guard.ts `allowedHostNames`);
   * default: the loopback ones (localhost, 127.0.0.1, ::1).
   */
  allowedHosts?: ReadonlySet<string>;
  /** The server is on TLS: the session cookie is `Secure`, and a page's Origin is https. */
  secure?: boolean;
  /** Serve HTTPS with the cluster's TLS (client certificates required); implies `secure`. Default plain HTTP. */
  tls?: DashboardTls | undefined;
  /** Largest request body read (config httpBodyMaxBytes; default 1 MiB). */
  bodyMaxBytes?: number;
  /** Failed authentications an address may have per window (config httpAuthFailuresMax and httpAuthFailuresWindowMs; default 10 a minute). */
  authFailures?: AuthFailuresOptions;
  /** How long a browser session lasts (config dashboardSessionTtlMs; default 24 h). */
  sessionTtlMs?: number;
  /** Sessions kept at most (config dashboardMaxSessions; default 1,000). */
  maxSessions?: number;
  /** The web UI's files, its live figures' sampling (ui-routes.ts). */
  ui?: Omit<UiRoutesOptions, "state">;
}

/** Routes anyone may call: they hold no cluster data. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(["GET /healthz", "GET /login", "POST /login"]);

const LOOPBACK_HOSTS = allowedHostNames("127.0.0.1", ["::1"]);

/** A route the server serves: its method and its path pattern (`/api/jobs/:id`). */
export interface ServerRoute {
  method: string;
  url: string;
}

const ROUTES = new WeakMap<FastifyInstance, ServerRoute[]>();

/** Every route `app` (made by createDashboardServer) serves, as fastify registered them. */
export function serverRoutes(app: FastifyInstance): readonly ServerRoute[] {
  return ROUTES.get(app) ?? [];
}

/** The head's HTTP server (not listening yet: call `listen`). */
export function createDashboardServer(options: DashboardServerOptions): FastifyInstance {
  // forceCloseConnections: browsers keep connections open (live streams, keep-alive) that would hold `close()` up.
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyMaxBytes ?? 1024 * 1024,
    forceCloseConnections: true,
    ...(options.tls !== undefined ? { serverFactory: httpsServerFactory(options.tls) } : {}),
  });
  const secure = options.secure === true || options.tls !== undefined;
  const auth = new DashboardAuth(options.token, {
    sessionTtlMs: options.sessionTtlMs ?? 24 * 3600_000,
    maxSessions: options.maxSessions ?? 1000,
    secure,
  });
  const failures = new AuthFailures(app, options.authFailures ?? { max: 10, windowMs: 60_000 });
  const hosts = options.allowedHosts ?? LOOPBACK_HOSTS;
  const routes: ServerRoute[] = [];
  ROUTES.set(app, routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook("onRequest", async (req, reply) => {
    if (!hostAllowed(hosts, req.headers.host)) return misdirected(reply);
    const fetchSite = req.headers["sec-fetch-site"];
    if (!originAllowed(req.method, req.headers.origin, req.headers.host, secure, typeof fetchSite === "string" ? fetchSite : undefined)) return foreignOrigin(reply);
    // HEAD is answered as GET is, so it is as open as the GET.
    if (OPEN_ROUTES.has(`${req.method === "HEAD" ? "GET" : req.method} ${req.routeOptions.url ?? ""}`)) return undefined;
    // The right token (or a session) always passes: a lock-out stops guesses, and a process
    // guessing from the head machine must not lock its own users out.
    if (auth.authorized(req.headers.authorization, req.headers.cookie)) return undefined;
    const locked = await failures.lockedFor(req);
    if (locked !== undefined) return tooMany(reply, locked);
    // Only wrong credentials count: a request with none cannot be a guess.
    if (req.headers.authorization !== undefined || cookieValue(req.headers.cookie, SESSION_COOKIE) !== undefined) await failures.failed(req);
    return refuse(req, reply, auth);
  });
  app.get("/healthz", async (_req, reply) => reply.type("text/plain").send("ok"));
  app.get("/login", async (_req, reply) => reply.type("text/html").send(loginPage()));
  app.post("/login", async (req, reply) => {
    const body = (req.body ?? {}) as { token?: unknown };
    const wantsJson = !isForm(req);
    if (!auth.tokenMatches(body.token)) {
      const locked = await failures.lockedFor(req);
      if (locked !== undefined) return tooMany(reply, locked);
      await failures.failed(req);
      if (wantsJson) return reply.code(401).send({ error: "unauthorized", message: "the token is not this cluster's token" });
      return reply.code(401).type("text/html").send(loginPage("That is not this cluster's token."));
    }
    reply.header("set-cookie", auth.sessionCookie(auth.createSession()));
    return wantsJson ? reply.send({ ok: true }) : reply.redirect("/", 303);
  });
  app.post("/logout", async (req, reply) => {
    auth.endSession(req.headers.cookie);
    reply.header("set-cookie", auth.clearedCookie());
    return isForm(req) ? reply.redirect("/login", 303) : reply.send({ ok: true });
  });
  registerStateRoutes(app, options.state);
  if (options.jobs !== undefined) registerJobRoutes(app, options.jobs);
  if (options.logs !== undefined) registerLogRoutes(app, options.logs);
  registerUiRoutes(app, { ...options.ui, state: options.state });
  return app;
}

/**
 * 401 for API callers; a browser asking for a page, or posting a form (logging out after its
 * session ended), goes to the login page instead. A stale session cookie is cleared.
 */
async function refuse(req: FastifyRequest, reply: FastifyReply, auth: DashboardAuth): Promise<void> {
  if (cookieValue(req.headers.cookie, SESSION_COOKIE) !== undefined) reply.header("set-cookie", auth.clearedCookie());
  const navigation = req.method === "GET" || (req.method === "POST" && isForm(req));
  const browserPage = navigation && !req.url.startsWith("/api/") && (req.headers.accept ?? "").includes("text/html");
  if (browserPage) {
    await reply.redirect("/login", 303);
    return;
  }
  await reply
    .code(401)
    .header("www-authenticate", 'Bearer realm="lux"')
    .send({ error: "unauthorized", message: "this route needs the cluster token: send `Authorization: Bearer <token>`, or log in at /login" });
}

async function misdirected(reply: FastifyReply): Promise<void> {
  await reply.code(421).send({
    error: "misdirected_request",
    message: "this server does not answer to that Host name: use its address, or add the name to config dashboardAllowedHosts",
  });
}

async function foreignOrigin(reply: FastifyReply): Promise<void> {
  await reply.code(403).send({ error: "forbidden_origin", message: "a page of another origin cannot change anything here" });
}

async function tooMany(reply: FastifyReply, retryAfterSeconds: number): Promise<void> {
  await reply
    .code(429)
    .header("retry-after", String(retryAfterSeconds))
    .send({ error: "too_many_failed_authentications", message: `too many failed authentications from this address: try again in ${retryAfterSeconds} s` });
}

function isForm(req: FastifyRequest): boolean {
  return (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
}
