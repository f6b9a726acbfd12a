/**
 * TLS between Lux processes, and the one policy every TLS server and client of a cluster
 * uses (RPC listeners here; the head's HTTP server and the raylets' `/metrics` through
 * `tlsServerOptions`/`guardTlsServer`; HTTP clients through `tlsClientOptions`):
 *
 * - TLS 1.3 only;
 * - both sides present a certificate, and each checks the other's against the cluster's CA;
 * - a client checks that the server's certificate names the host it dialled (DNS name or IP);
 * - every refusal (another CA, an expired certificate, a wrong name, no certificate,
 *   plaintext, an older TLS version, a handshake that does not finish in time) is reported
 *   through `onRefused` with the peer's address, so the process logs it.
 *
 * Unix-socket addresses stay plain: they link processes of one node, and their sockets sit
 * in a folder only the cluster's user can open (0700). The RPC framing above is unchanged:
 * a TLS socket is wrapped in the same SocketTransport as a plain one.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { ConnectFailedError } from "./errors.js";
import type { Dial, Listen } from "./server.js";
import { BulkReads, SocketTransport, connectTransport, listenTransport, parseAddress, serveOn, type DialOptions } from "./transport-net.js";

/** The PEM files of a node, read: its certificate, its private key, and the cluster's CA certificate. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

/** The only TLS version Lux speaks or accepts. */
export const TLS_MIN_VERSION = "TLSv1.3";

/**
 * TLS 1.3's suites, AES-128-GCM first (Node's default puts AES-256-GCM first): both sides
 * of a Lux link list this order, so they agree on AES-128-GCM, TLS 1.3's mandatory suite,
 * whose encryption takes about 7% less time here (openssl speed: 4.3 against 4.0 GB/s on
 * one core). Bulk transfers between nodes spend about half their CPU in it.
 */
export const TLS_CIPHERSUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/** Reports a peer refused during or right after the TLS handshake: its address (or a label) and why. */
export type TlsRefused = (peer: string, reason: string) => void;

export interface TlsTransportOptions {
  material: TlsMaterial;
  /** A server drops a peer whose TLS handshake has not completed this long after it connected. */
  handshakeTimeoutMs: number;
  /**
   * Most connections of one listener still in their TLS handshake; one more drops the one
   * waiting longest, as RpcServer does for the Lux handshake after it (config
   * `rpcMaxHandshakingConnections`; default: no cap).
   */
  maxHandshaking?: number;
  onRefused?: TlsRefused;
}

/**
 * Options of a TLS server (node:tls, node:https) of the cluster. The peer's certificate is
 * required and checked against the CA; `guardTlsServer` must be installed on the server,
 * because it is the one that refuses (and names) a peer whose certificate failed the check.
 */
export function tlsServerOptions(material: TlsMaterial, handshakeTimeoutMs: number): tls.TlsOptions {
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERSUITES,
    requestCert: true,
    // Node's own refusal (true) destroys the socket after the handshake exactly as
    // guardTlsServer does, but loses the peer's address and reason before any event names
    // them. guardTlsServer checks `authorized` first thing after the handshake, before any
    // application byte is read, and logs who was refused and why.
    rejectUnauthorized: false,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/**
 * Refuses, on a server made with `tlsServerOptions`, every peer whose certificate the CA did
 * not vouch for (before any other listener sees the connection), and reports each refusal,
 * handshake failures included (plaintext, TLS 1.2, no certificate, timeout).
 */
export function guardTlsServer(server: tls.Server, onRefused: TlsRefused = () => undefined): void {
  server.prependListener("connection", (raw: net.Socket) => peers.set(raw, `${raw.remoteAddress}:${raw.remotePort}`));
  server.prependListener("secureConnection", (socket: tls.TLSSocket) => {
    if (socket.authorized) return;
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    onRefused(peerOf(socket), presented ? refusedCertificate(socket.authorizationError?.toString()) : "it presented no certificate");
    socket.destroy();
  });
  server.on("tlsClientError", (error: Error & { code?: string }, socket: tls.TLSSocket) => {
    onRefused(peerOf(socket), handshakeFailure(error));
    // Node leaves the socket open after some of these (a handshake timeout): it must not linger.
    socket.destroy();
  });
}

/**
 * Options of a TLS client (node:tls, node:https) of the cluster: its own certificate, the
 * CA, TLS 1.3 only, and the server's certificate checked, name included (`rejectUnauthorized`).
 */
export function tlsClientOptions(material: TlsMaterial): tls.ConnectionOptions {
  return { cert: material.cert, key: material.key, ca: material.ca, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERSUITES, rejectUnauthorized: true };
}

/** Dial and listen over TLS for TCP addresses, plain for Unix sockets: the RPC layer's `dial` and `listen` options. */
export function tlsTransports(options: TlsTransportOptions): { dial: Dial; listen: Listen } {
  // One context for every outbound connection: building it parses the certificates.
  const context = tls.createSecureContext(tlsClientOptions(options.material));
  const onRefused = options.onRefused ?? (() => undefined);
  return {
    dial: (address, timeoutMs, dialOptions) =>
      address.startsWith("/") ? connectTransport(address, timeoutMs, dialOptions) : dialTls(address, timeoutMs, context, onRefused, dialOptions),
    listen: (address, onTransport) => {
      if (address.startsWith("/")) return listenTransport(address, onTransport);
      const server = tls.createServer(tlsServerOptions(options.material, options.handshakeTimeoutMs));
      guardTlsServer(server, onRefused);
      capHandshakes(server, options.maxHandshaking ?? Infinity, onRefused);
      server.on("secureConnection", (socket: tls.TLSSocket) => {
        if (!socket.destroyed) onTransport(tlsTransport(socket));
      });
      return serveOn(server, address);
    },
  };
}

/**
 * Bounds the peers of `server` still in their TLS handshake: past `max`, the one that has
 * waited longest goes (the RPC server counts connections only once TLS let them through).
 */
function capHandshakes(server: tls.Server, max: number, onRefused: TlsRefused): void {
  if (max === Infinity) return;
  /** Raw sockets in their TLS handshake, oldest first, by their peer's address (what a secure socket has too). */
  const waiting = new Map<string, net.Socket>();
  server.on("connection", (raw: net.Socket) => {
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    if (waiting.size >= max) {
      const [oldestKey, oldest] = waiting.entries().next().value as [string, net.Socket];
      waiting.delete(oldestKey);
      onRefused(oldestKey, `more than ${max} connections are in their TLS handshake: dropped the one waiting longest`);
      oldest.destroy();
    }
    waiting.set(key, raw);
    raw.once("close", () => {
      if (waiting.get(key) === raw) waiting.delete(key);
    });
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => waiting.delete(`${socket.remoteAddress}:${socket.remotePort}`));
}

/**
 * A TLS socket as a transport. node:tls copies the buffers of a writev into one before
 * encrypting them, so a raw payload (megabytes, see Transport.writeRaw) queued behind a
 * frame would be copied whole: this socket's buffered writes go one at a time instead,
 * each encrypted where it lies (frames are staged into few buffers anyway).
 */
function tlsTransport(socket: tls.TLSSocket, peerName?: string, bulkReads?: BulkReads): SocketTransport {
  (socket as unknown as { _writev: unknown })._writev = null;
  return new SocketTransport(socket, peerName, bulkReads);
}

function dialTls(address: string, timeoutMs: number, secureContext: tls.SecureContext, onRefused: TlsRefused, options: DialOptions = {}): Promise<SocketTransport> {
  const { host, port } = parseAddress(address) as { host: string; port: number };
  return new Promise((resolve, reject) => {
    const bulkReads = options.bulkReads === true ? new BulkReads() : undefined;
    const socket = tls.connect({
      host,
      port,
      secureContext,
      ...(bulkReads !== undefined ? { onread: bulkReads.onread } : {}),
      // The name checked against the server's certificate is the host dialled; SNI carries names only.
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: true,
    });
    let connected = false;
    socket.once("connect", () => {
      connected = true;
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectFailedError({ address, reason: `no TLS connection within ${timeoutMs} ms` }));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(tlsTransport(socket, address, bulkReads));
    });
    socket.once("error", (e: Error & { code?: string }) => {
      clearTimeout(timer);
      // Past the TCP connect, a failure is the TLS handshake's: this side or the server refused.
      if (connected) onRefused(address, handshakeFailure(e));
      reject(new ConnectFailedError({ address, reason: connected ? `TLS: ${handshakeFailure(e)}` : e.message, cause: e }));
    });
  });
}

/** The address of each TCP connection a guarded server accepted, remembered while it is open. */
const peers = new WeakMap<net.Socket, string>();

/**
 * The peer of a server-side TLS socket. One destroyed during its handshake (its peer left)
 * has no address any more; the TCP socket under it (Node's `_parent`) is the one remembered.
 */
function peerOf(socket: tls.TLSSocket): string {
  if (socket.remoteAddress !== undefined) return `${socket.remoteAddress}:${socket.remotePort}`;
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  return (parent instanceof net.Socket ? peers.get(parent) : undefined) ?? "a peer that left during the handshake";
}

/** Why a server refused a peer's certificate (Node's `authorizationError`, an OpenSSL verify code). */
function refusedCertificate(code: string | undefined): string {
  const problem = code === undefined ? undefined : CERTIFICATE_PROBLEMS[code];
  return `its certificate ${problem ?? "was refused"} (${code ?? "no reason given"})`;
}

/** A handshake failure in words: what it usually means, or OpenSSL's reason without its file and line. */
function handshakeFailure(error: Error & { code?: string }): string {
  const code = error.code ?? "";
  const problem = CERTIFICATE_PROBLEMS[code];
  if (problem !== undefined) return `the server's certificate ${problem} (${code})`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `the server's certificate does not name the address dialled: ${error.message}`;
  const hint = HANDSHAKE_HINTS[code];
  if (hint !== undefined) return `${hint} (${code})`;
  const reason = /:SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1] ?? error.message.trim();
  return `${reason}${code !== "" ? ` (${code})` : ""}`;
}

/** OpenSSL's verify codes Lux's certificates meet, as what they say of the certificate. */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: "has expired",
  CERT_NOT_YET_VALID: "is not valid yet",
  SELF_SIGNED_CERT_IN_CHAIN: "is not signed by this cluster's CA",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "is not signed by this cluster's CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "is not signed by this cluster's CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "is self-signed, not signed by this cluster's CA",
  CERT_SIGNATURE_FAILURE: "has a signature that does not verify",
};

const HANDSHAKE_HINTS: Readonly<Record<string, string>> = {
  ERR_SSL_WRONG_VERSION_NUMBER: "plaintext or another protocol on a TLS port",
  ERR_SSL_HTTP_REQUEST: "plain HTTP on a TLS port",
  ERR_SSL_UNSUPPORTED_PROTOCOL: "the peer offered an older TLS version; only TLS 1.3 is accepted",
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: "the server accepts only TLS 1.3",
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: "the peer presented no certificate",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "the server requires a certificate and this process presented none",
  ERR_TLS_HANDSHAKE_TIMEOUT: "the TLS handshake did not complete in time",
  ECONNRESET: "the peer closed the connection during the TLS handshake (it may have refused this side's certificate)",
};
