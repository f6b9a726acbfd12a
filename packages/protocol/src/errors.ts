/**
 * The protocol's errors: a connection that cannot be opened, one that closed, a call that
 * got no reply in time, a peer that broke the protocol, and a request refused for its shape. Coded Lux errors, so callers
 * match them by class, never by message.
 */
import { defineError } from "./lux-error.js";

/** The connection to a peer closed (or was closed): calls pending on it, or made on it since, fail. */
export const ConnectionClosedError = defineError(
  "LUX_CONNECTION_CLOSED",
  "ConnectionClosedError",
  (f: {
    /** The peer's address (or a label for it). */
    readonly peer: string;
    /** The call that found the connection closed, if any. */
    readonly method?: string;
    /** Why it closed, when known (in the message only). */
    readonly reason?: string;
  }) =>
    `the connection to ${f.peer} ${f.method !== undefined ? `is closed (calling ${f.method})` : "closed"}` +
    `${f.reason !== undefined ? `: ${f.reason}` : ""}`,
  { fields: (f) => ({ peer: f.peer, method: f.method }) },
);
export type ConnectionClosedError = InstanceType<typeof ConnectionClosedError>;

/** A connection to a peer could not be opened: nothing listens at the address, or nothing answered in time. */
export const ConnectFailedError = defineError(
  "LUX_CONNECT_FAILED",
  "ConnectFailedError",
  (f: {
    /** The address dialled. */
    readonly address: string;
    /** Why, e.g. "connect ECONNREFUSED 127.0.0.1:4000" or "no answer within 10000 ms". */
    readonly reason: string;
  }) =>
    `cannot connect to ${f.address}: ${f.reason}. Check that the Lux process there is running ` +
    "(`lux status`) and that this machine can reach the address.",
);
export type ConnectFailedError = InstanceType<typeof ConnectFailedError>;

/** An RPC call got no reply before its deadline. */
export const RpcTimeoutError = defineError(
  "LUX_RPC_TIMEOUT",
  "RpcTimeoutError",
  (f: {
    /** The RPC method called ("handshake" for the opening of a connection). */
    readonly method: string;
    /** The peer it was called on. */
    readonly peer: string;
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number;
  }) =>
    `${f.method} to ${f.peer} got no reply within ${f.timeoutMs} ms. The process there may be overloaded, ` +
    "stuck or gone: check `lux status` and its log in the session directory.",
);
export type RpcTimeoutError = InstanceType<typeof RpcTimeoutError>;

/** A peer sent something that breaks the wire protocol (bad frame, version, auth). */
export const ProtocolError = defineError(
  "LUX_PROTOCOL",
  "ProtocolError",
  (f: {
    /** What was wrong, e.g. "frame of 3 GiB exceeds maxFrameBytes" (in the message only). */
    readonly reason: string;
    /** The peer's address, when known. */
    readonly peer?: string;
  }) =>
    `protocol error${f.peer !== undefined ? ` with ${f.peer}` : ""}: ${f.reason}. The peer may run another Lux ` +
    "version, use another cluster auth token, or not be a Lux process: check the address and that every " +
    "node runs the same Lux version.",
  { fields: (f) => ({ peer: f.peer }) },
);
export type ProtocolError = InstanceType<typeof ProtocolError>;

/**
 * A request's body does not have the shape its method declares (services.ts): a field is
 * missing or of the wrong type, or an object carries a key such as `__proto__` or
 * `constructor`. The request is refused before its handler runs; the connection stays.
 */
export const InvalidRequestError = defineError(
  "LUX_INVALID_REQUEST",
  "InvalidRequestError",
  (f: {
    /** The method called. */
    readonly method: string;
    /** What is wrong and where, e.g. "resources: expected an object, got nothing". */
    readonly problem: string;
  }) =>
    `${f.method} refused its request: ${f.problem}. The process that sent it has a bug or runs another Lux ` +
    "version: check that every node and driver runs the same Lux version, and report it if they do.",
);
export type InvalidRequestError = InstanceType<typeof InvalidRequestError>;
