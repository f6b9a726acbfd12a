/**
 * The head's HTTP server over TLS, when the cluster uses TLS: HTTPS with the cluster's policy
 * (TLS 1.3, a client certificate signed by the cluster's CA required, refusals logged), so a
 * browser needs a certificate of the cluster (docs/tls.md) besides the token.
 */
import type * as http from "node:http";
import * as https from "node:https";
import { guardTlsServer, tlsServerOptions, type TlsMaterial, type TlsRefused } from "@lux/protocol";
import type { FastifyServerFactory } from "fastify";

export interface DashboardTls {
  material: TlsMaterial;
  handshakeTimeoutMs: number;
  onRefused: TlsRefused;
}

/** Fastify's `serverFactory` for an HTTPS server with the cluster's TLS. */
export function httpsServerFactory(tls: DashboardTls): FastifyServerFactory {
  return (handler) => {
    const server = https.createServer(tlsServerOptions(tls.material, tls.handshakeTimeoutMs), handler);
    guardTlsServer(server, tls.onRefused);
    // Fastify types its default server as node:http's; an HTTPS server serves the same requests.
    return server as unknown as http.Server;
  };
}
