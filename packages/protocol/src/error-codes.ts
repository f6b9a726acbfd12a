/**
 * Every Lux error code, in one list: a code is what an error carries across the wire and
 * what users match on. docs/errors.md has a row for each; @lux/common's tests check that
 * each code has exactly one class and one row.
 */
export const ERROR_CODES = [
  "LUX_INTERNAL",
  "LUX_TASK_FAILED",
  "LUX_GET_TIMEOUT",
  "LUX_ACTOR_DIED",
  "LUX_TASK_CANCELLED",
  "LUX_WORKER_CRASHED",
  "LUX_OUT_OF_MEMORY",
  "LUX_OBJECT_LOST",
  "LUX_OWNER_DIED",
  "LUX_OBJECT_FREED",
  "LUX_OBJECT_STORE_FULL",
  "LUX_ACTOR_NAME_TAKEN",
  "LUX_ACTOR_NOT_FOUND",
  "LUX_PLACEMENT_GROUP_NAME_TAKEN",
  "LUX_PLACEMENT_GROUP_NOT_FOUND",
  "LUX_PLACEMENT_GROUP_REMOVED",
  "LUX_INVALID_OPTION",
  "LUX_INVALID_CONFIG",
  "LUX_PROTOCOL",
  "LUX_INVALID_REQUEST",
  "LUX_NOT_INITIALIZED",
  "LUX_SERIALIZATION",
  "LUX_CLUSTER_LOST",
  "LUX_NODE_AFFINITY_FAILED",
  "LUX_RUNTIME_ENV_SETUP_FAILED",
  "LUX_NO_LAUNCHER",
  "LUX_CONNECTION_CLOSED",
  "LUX_CONNECT_FAILED",
  "LUX_RPC_TIMEOUT",
  "LUX_LEASE_FAILED",
  "LUX_INIT_FAILED",
  "LUX_NODE_START_FAILED",
  "LUX_NOT_IN_ACTOR",
  "LUX_ACTOR_UNAVAILABLE",
  "LUX_QUEUE_FULL",
  "LUX_QUEUE_EMPTY",
  "LUX_PENDING_CALLS_LIMIT_EXCEEDED",
  "LUX_COLLECTIVE_FAILED",
  "LUX_INVALID_STATE_QUERY",
] as const;

/** A Lux error code, e.g. "LUX_GET_TIMEOUT"; see docs/errors.md. */
export type ErrorCode = (typeof ERROR_CODES)[number];
