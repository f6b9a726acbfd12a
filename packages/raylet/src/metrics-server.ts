/**
 * The node's Prometheus endpoint (HTTPS when the cluster uses TLS): `GET /metrics` with the cluster token
 * (`Authorization: Bearer <token>`, compared in constant time), and `GET /healthz` without it.
 * Anything else is 401 without the token, else 404 (405 for a method other than GET or HEAD).
 * With `public` (`lux start --metrics-public`, config metricsPublic) `/metrics` needs no
 * token: still read-only (GET and HEAD), still nothing else on the port.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { NodeStartError } from "@lux/common";
import { guardTlsServer, tlsServerOptions, tokenDigest, tokenMatches, type TlsMaterial, type TlsRefused } from "@lux/protocol";

export interface MetricsServerOptions {
  /** The node's IP address: the server binds there. */
  host: string;
  /** 0: a free port. */
  port: number;
  token: string;
  /** Serve `/metrics` without the token (config metricsPublic). */
  public?: boolean;
  /** The `/metrics` text now. */
  text(): string;
  /** Serve HTTPS with the cluster's TLS policy (client certificates required), refusals reported to `onRefused`. */
  tls?: { material: TlsMaterial; handshakeTimeoutMs: number; onRefused: TlsRefused } | undefined;
}

export class MetricsServer {
  private constructor(
    private readonly server: http.Server | https.Server,
    /** HOST:PORT it serves on. */
    readonly address: string,
  ) {}

  static async listen(options: MetricsServerOptions): Promise<MetricsServer> {
    const expected = tokenDigest(options.token);
    const open = options.public === true ? OPEN_WITH_PUBLIC_METRICS : OPEN;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => answer(req, res, { expected, open, text: options.text });
    const tls = options.tls;
    const server = tls === undefined ? http.createServer(handler) : https.createServer(tlsServerOptions(tls.material, tls.handshakeTimeoutMs), handler);
    if (tls !== undefined) guardTlsServer(server as https.Server, tls.onRefused);
    // Slow or idle clients must not hold sockets for long: a scrape is one small request.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void => {
        const hint = options.port === 0 ? "" : "; choose another port with --metrics-port (config metricsPort), or 0 for a free one";
        reject(new NodeStartError({ component: "raylet", reason: `cannot serve metrics on ${options.host}:${options.port}: ${e.message}${hint}`, cause: e }));
      };
      server.once("error", failed);
      server.listen(options.port, options.host, () => {
        server.off("error", failed);
        resolve();
      });
    });
    server.unref();
    const { address, port } = server.address() as AddressInfo;
    return new MetricsServer(server, `${address.includes(":") ? `[${address}]` : address}:${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Paths answered without the token. */
const OPEN: ReadonlySet<string> = new Set(["/healthz"]);
const OPEN_WITH_PUBLIC_METRICS: ReadonlySet<string> = new Set(["/healthz", "/metrics"]);

interface Answering {
  expected: Buffer;
  open: ReadonlySet<string>;
  text: () => string;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, { expected, open, text }: Answering): void {
  const url = (req.url ?? "/").split("?")[0] as string;
  if (req.method !== "GET" && req.method !== "HEAD") {
    reply(res, 405, "method not allowed\n", { Allow: "GET, HEAD" });
    return;
  }
  if (url === "/healthz") {
    reply(res, 200, "ok\n");
    return;
  }
  if (!open.has(url) && !authorized(req.headers.authorization, expected)) {
    reply(res, 401, "unauthorized: send the cluster token as Authorization: Bearer <token>\n", { "WWW-Authenticate": 'Bearer realm="lux"' });
    return;
  }
  if (url !== "/metrics") {
    reply(res, 404, "not found: this port serves /metrics\n");
    return;
  }
  let body: string;
  try {
    body = text();
  } catch (e) {
    reply(res, 500, `metrics failed: ${(e as Error).message}\n`);
    return;
  }
  reply(res, 200, body, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
}

function reply(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Whether the header carries the token (compared in constant time, whatever was sent). */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return tokenMatches(expected, match?.[1]);
}
