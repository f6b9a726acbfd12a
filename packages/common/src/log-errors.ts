/** Errors of reading the cluster's logs (`lux logs`, `lux.state.listLogs` and `getLog`). */
import { defineError } from "@lux/protocol";

/** The log asked for is not there: no such node, file, worker, actor or task, or nothing logged for it. */
export const LogNotFoundError = defineError(
  "LUX_LOG_NOT_FOUND",
  "LogNotFoundError",
  (f: {
    /** What was asked for, e.g. `file "gcs.log" on node 3f2a…`, `worker pid 1234`, `task 9c…`. */
    readonly what: string;
    /** Why there is no log of it, and what to do. */
    readonly reason: string;
  }) => `no log of ${f.what}: ${f.reason}`,
);
export type LogNotFoundError = InstanceType<typeof LogNotFoundError>;
