/**
 * The dashboard's web UI: the static files `npm run build` writes to dist/ui (vite + preact,
 * from packages/dashboard/ui), served behind the same token check as every other route.
 *
 * The files are read once, when the server is made, into a table keyed by their path: a
 * request is answered only with a file of that table, so no path (`..`, encoded slashes,
 * symlinks) can reach anything else. The UI's own routes (`/tasks/…`, `/logs`, …) answer
 * with index.html, where the UI's router takes over. HTML goes out with a strict
 * Content-Security-Policy: the page may load and call only this server.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { LOGIN_STYLE_SOURCE } from "./login-page.js";

/** The UI's views: each answers with index.html, as do the paths under it (`/tasks/<id>`). */
export const UI_VIEWS = ["overview", "nodes", "actors", "tasks", "jobs", "placement-groups", "logs"] as const;

/**
 * What an HTML page of this server may load: scripts, styles, images and connections from
 * this origin only (the login page's one inline style by its hash); no frames, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' '${LOGIN_STYLE_SOURCE}'`,
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

interface UiFile {
  body: Buffer;
  type: string;
}

/** Where `npm run build` writes the UI: dist/ui beside this module's bundle. */
export function defaultUiDir(): string {
  return fileURLToPath(new URL("./ui/", import.meta.url));
}

/** Every file under `dir` by its URL path ("/index.html", "/assets/index-3f2a.js"); empty when there is none. */
export function readUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return files;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (!statSync(full).isFile()) continue;
    const urlPath = `/${name.split(path.sep).join("/")}`;
    files.set(urlPath, { body: readFileSync(full), type: CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream" });
  }
  return files;
}

/** Serves the UI in `dir` (default: dist/ui) on `/`, the views' paths, `/assets/*` and the other top-level files (`/:file`). */
export function registerUi(app: FastifyInstance, dir = defaultUiDir()): void {
  const files = readUiFiles(dir);
  const index = files.get("/index.html");
  const sendIndex = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    if (index === undefined) {
      return reply.code(503).type("text/plain; charset=utf-8").send(`The dashboard's UI is not built (no ${path.join(dir, "index.html")}): run \`npm run build\`.`);
    }
    return reply.header("cache-control", "no-cache").type(index.type).send(index.body);
  };
  app.addHook("onSend", async (_req, reply, payload) => {
    const type = String(reply.getHeader("content-type") ?? "");
    if (type.startsWith("text/html")) reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    reply.header("x-content-type-options", "nosniff");
    // Not no-referrer: under it browsers send `Origin: null` with the login form, which the
    // Origin check (host-guard.ts) would refuse; same-origin tells other sites nothing.
    reply.header("referrer-policy", "same-origin");
    return payload;
  });
  app.get("/", sendIndex);
  for (const view of UI_VIEWS) {
    app.get(`/${view}`, sendIndex);
    app.get(`/${view}/*`, sendIndex);
  }
  const sendFile = async (urlPath: string, reply: FastifyReply): Promise<FastifyReply> => {
    const file = files.get(urlPath);
    if (file === undefined || urlPath === "/index.html") return reply.code(404).send({ error: "not_found", message: `no file ${urlPath}` });
    // Names under /assets/ carry a hash of their content: they never change.
    reply.header("cache-control", urlPath.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    return reply.type(file.type).send(file.body);
  };
  app.get<{ Params: { "*": string } }>("/assets/*", async (req, reply) => sendFile(`/assets/${req.params["*"]}`, reply));
  // The build's top-level files (favicon.svg): one route whatever the build holds, so the
  // server's routes (docs/security.md) do not depend on it.
  app.get<{ Params: { file: string } }>("/:file", async (req, reply) => sendFile(`/${req.params.file}`, reply));
}
