import type { ErrorCodec, PeerOptions } from "@lux/protocol";
import { config } from "./config.js";
import { fromWireError, toWireError, type WireError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";

export const wireErrorCodec: ErrorCodec = {
  encode: (e) => toWireError(e),
  decode: (w) => fromWireError(w as WireError),
};

const defaultLog = createLogger("rpc");

/**
 * Connection options every Lux process uses: cluster token, frame cap, deadlines (connect
 * and handshake together; a peer's handshake on a server; the default of every call), the
 * cap on peers still in their handshake, error codec, logging of bad peers and requests.
 */
export function rpcPeerOptions(token: string, log: Logger = defaultLog): PeerOptions {
  return {
    token,
    maxFrameBytes: config("maxFrameBytes"),
    errorCodec: wireErrorCodec,
    connectTimeoutMs: config("rpcConnectTimeoutMs"),
    handshakeTimeoutMs: config("rpcHandshakeTimeoutMs"),
    maxHandshakingConnections: config("rpcMaxHandshakingConnections"),
    callTimeoutMs: config("rpcTimeoutMs"),
    onProtocolError: (error, peer) => log.warn(`dropped connection from ${peer}: ${error.message}`),
    onInvalidRequest: (error, peer) => log.warn(`refused a request from ${peer}: ${error.message}`),
  };
}
