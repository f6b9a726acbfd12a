/**
 * The error of `lux.util.collective` (declared here with the others, so it crosses the wire
 * and comes back as its class): an operation among the ranks of a group that could not complete.
 */
import { defineError } from "@lux/protocol";

/**
 * A collective operation failed on this rank: the ranks disagree (array lengths or types, the
 * operation, its root), a member is gone (its process died or left the group), the group is
 * not set up in this process, or the operation did not complete within its `timeoutMs`.
 */
export const CollectiveError = defineError(
  "LUX_COLLECTIVE_FAILED",
  "CollectiveError",
  (f: {
    /** The group's name ("default" unless named). */
    readonly groupName: string;
    /** The operation, e.g. "allreduce" or "recv". */
    readonly operation: string;
    /** This process's rank in the group (undefined: it is not a member). */
    readonly rank?: number;
    /** Why, with what to do next. */
    readonly reason: string;
  }) => `collective ${f.operation} in group "${f.groupName}"${f.rank !== undefined ? ` (rank ${f.rank})` : ""} failed: ${f.reason}`,
);
export type CollectiveError = InstanceType<typeof CollectiveError>;
