import { tlsTransports, type ErrorCodec, type PeerOptions } from "@lux/protocol";
import { config } from "./config.js";
import { fromWireError, toWireError, type WireError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";
import { loadTlsMaterial, tlsFilesFromConfig, type TlsFiles } from "./tls.js";

export const wireErrorCodec: ErrorCodec = {
  encode: (e) => toWireError(e),
  decode: (w) => fromWireError(w as WireError),
};

const defaultLog = createLogger("rpc");

/**
 * Connection options every Lux process uses: cluster token, frame cap, deadlines (connect
 * and handshake together; a peer's handshake on a server; the default of every call), the
 * cap on peers still in their handshake, error codec, logging of bad peers and requests;
 * and with TLS files (default: this process's config, see tls.ts), TLS on every TCP
 * connection it opens or accepts, refusals logged.
 */
export function rpcPeerOptions(token: string, log: Logger = defaultLog, tls: TlsFiles | undefined = tlsFilesFromConfig()): PeerOptions {
  const handshakeTimeoutMs = config("rpcHandshakeTimeoutMs");
  return {
    token,
    maxFrameBytes: config("maxFrameBytes"),
    errorCodec: wireErrorCodec,
    connectTimeoutMs: config("rpcConnectTimeoutMs"),
    handshakeTimeoutMs,
    maxHandshakingConnections: config("rpcMaxHandshakingConnections"),
    maxConnections: config("rpcMaxConnections"),
    maxMessageDepth: config("rpcMaxMessageDepth"),
    callTimeoutMs: config("rpcTimeoutMs"),
    onProtocolError: (error, peer) => log.warn(`dropped connection from ${peer}: ${error.message}`),
    onInvalidRequest: (error, peer) => log.warn(`refused a request from ${peer}: ${error.message}`),
    ...(tls === undefined
      ? {}
      : tlsTransports({
          material: loadTlsMaterial(tls),
          handshakeTimeoutMs,
          maxHandshaking: config("rpcMaxHandshakingConnections"),
          onRefused: (peer, reason) => log.warn(`refused a TLS connection with ${peer}: ${reason}`),
        })),
  };
}
