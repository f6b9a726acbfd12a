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
 * and handshake together; the default of every call), error codec, logging of bad peers.
 */
export function rpcPeerOptions(token: string, log: Logger = defaultLog): PeerOptions {
  return {
    token,
    maxFrameBytes: config("maxFrameBytes"),
    errorCodec: wireErrorCodec,
    connectTimeoutMs: config("rpcConnectTimeoutMs"),
    callTimeoutMs: config("rpcTimeoutMs"),
    onProtocolError: (error, peer) => log.warn(`dropped connection from ${peer}: ${error.message}`),
  };
}
