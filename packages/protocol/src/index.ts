export { ERROR_CODES, type ErrorCode } from "./error-codes.js";
export {
  LuxError,
  type LuxErrorOptions,
  type LuxErrorClass,
  type DeclaredErrorClass,
  type DeclareOptions,
  type ErrorFields,
  defineError,
  describeError,
  errorClassForCode,
  registeredErrorCodes,
} from "./lux-error.js";
export { ConnectionClosedError, ConnectFailedError, RpcTimeoutError, ProtocolError } from "./errors.js";
export { type TimerHandle, type Clock, SystemClock, systemClock, FakeClock, sleep } from "./clock.js";
export { FrameDecoder, FrameTooLargeError, FRAME_HEADER_BYTES } from "./frame.js";
export { encodeMessage, decodeMessage } from "./codec.js";
export { encodeTaskSpec, decodeTaskSpec, type TaskSpecWire } from "./task-wire.js";
export type { Transport, TransportListener } from "./transport.js";
export { memoryTransportPair } from "./transport.js";
export { connectTransport, listenTransport, parseAddress } from "./transport-net.js";
export {
  RpcConnection,
  PROTOCOL_VERSION,
  UNTIL_PEER_LOST,
  type ConnectionOptions,
  type ConnectionState,
  type ErrorCodec,
} from "./connection.js";
export {
  RpcServer,
  acceptRpc,
  connectRpc,
  type AcceptOptions,
  type ConnectOptions,
  type Dial,
  type PeerOptions,
  type ServerOptions,
} from "./server.js";
export { ConnectionPool, type ConnectionPoolOptions } from "./connection-pool.js";
export {
  ReconnectingConnection,
  type ReconnectHook,
  type ReconnectOptions,
  type ReconnectingState,
  type RpcCaller,
} from "./reconnecting.js";
export type { ServiceDef, Handlers, MethodName, RequestOf, ReplyOf } from "./service.js";
export type * from "./services.js";
