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
export { ConnectionClosedError, ConnectFailedError, RpcTimeoutError, ProtocolError, InvalidRequestError } from "./errors.js";
export { type TimerHandle, type Clock, SystemClock, systemClock, FakeClock, sleep } from "./clock.js";
export { collectGarbage, collectGarbageSoon } from "./gc.js";
export { tokenDigest, tokenMatches } from "./token-compare.js";
export { FrameDecoder, FrameTooLargeError, FRAME_HEADER_BYTES, FRAME_UP_FRONT_BYTES, type RawSink } from "./frame.js";
export { encodeMessage, decodeMessage } from "./codec.js";
export { encodeTaskSpec, decodeTaskSpec, TaskSpecWire } from "./task-wire.js";
export { encodeTaskReply, decodeTaskReply, type TaskReplyWire } from "./task-reply-wire.js";
export type { Transport, TransportListener } from "./transport.js";
export { memoryTransportPair } from "./transport.js";
export { connectTransport, listenTransport, parseAddress, type DialOptions } from "./transport-net.js";
export {
  TLS_MIN_VERSION,
  TLS_CIPHERSUITES,
  guardTlsServer,
  tlsClientOptions,
  tlsServerOptions,
  tlsTransports,
  type TlsMaterial,
  type TlsRefused,
  type TlsTransportOptions,
} from "./transport-tls.js";
export {
  RpcConnection,
  PROTOCOL_VERSION,
  HANDSHAKE_MAX_FRAME_BYTES,
  UNTIL_PEER_LOST,
  type ConnectionOptions,
  type ConnectionState,
} from "./connection.js";
export type { ErrorCodec } from "./error-codec.js";
export {
  RpcServer,
  acceptRpc,
  connectRpc,
  type AcceptOptions,
  type ConnectOptions,
  type Dial,
  type Listen,
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
export {
  defineService,
  rpc,
  rpcBytes,
  returns,
  type BytesReply,
  type ServiceDef,
  type ServiceSpec,
  type ServiceOf,
  type MethodSpec,
  type Returns,
  type ServedHandlers,
  type DispatchEntry,
  type Handlers,
  type MethodName,
  type RequestOf,
  type ReplyOf,
} from "./service.js";
export { ServiceHandlers, serve, type ServerConnection } from "./serve.js";
export type { BytesMethod } from "./bytes-reply.js";
export {
  anything,
  arr,
  bool,
  bytes,
  empty,
  int,
  lit,
  maybe,
  nullable,
  num,
  obj,
  opt,
  record,
  str,
  tuple,
  union,
  DEFAULT_MESSAGE_DEPTH,
  type Schema,
  type OptionalSchema,
  type Infer,
  type InferShape,
} from "./schema.js";
export { GcsService, RayletService, CoreWorkerService, KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, LISTENERS_KV_NAMESPACE, type RegisteredListener, type TransferStats } from "./services.js";
export * from "./wire-types.js";
export * from "./state-wire.js";
export * from "./task-events-wire.js";
export * from "./metrics-wire.js";
export { LatencyHistogram, RPC_LATENCY_BOUNDARIES_MS } from "./latency-histogram.js";
export * from "./log-wire.js";
