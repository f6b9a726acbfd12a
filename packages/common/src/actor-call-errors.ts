/**
 * Errors of calls to actors refused at the call site by the caller's own limits (declared here
 * with the others, so they cross the wire and come back as their class).
 */
import { defineError } from "@lux/protocol";

/**
 * A call through an actor handle was refused at `.remote()`: this process already has the
 * actor's `maxPendingCalls` calls to it unfinished (Ray's PendingCallsLimitExceeded). The call
 * was not made; calls work again once some of those finish.
 */
export const PendingCallsLimitExceededError = defineError(
  "LUX_PENDING_CALLS_LIMIT_EXCEEDED",
  "PendingCallsLimitExceededError",
  (f: {
    readonly actorId: string;
    readonly actorName?: string;
    /** The actor's maxPendingCalls option. */
    readonly maxPendingCalls: number;
  }) =>
    `actor ${f.actorName !== undefined ? `"${f.actorName}" (id ${f.actorId})` : f.actorId} already has ${f.maxPendingCalls} ` +
    `call${f.maxPendingCalls === 1 ? "" : "s"} from this process unfinished (its maxPendingCalls), so this call was not made. ` +
    "Wait for earlier calls to finish (lux.get or lux.wait their refs) and call again, or create the actor with a " +
    "higher maxPendingCalls (-1: no limit).",
);
export type PendingCallsLimitExceededError = InstanceType<typeof PendingCallsLimitExceededError>;
