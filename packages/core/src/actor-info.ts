import type { ActorInfo, GcsService, RpcCaller } from "@lux/protocol";
import type { ConfigValues } from "@lux/common";

/** The config entries bounding a wait for an actor. */
export type ActorWaitConfig = Pick<ConfigValues, "rpcLongPollMs" | "rpcTimeoutMs">;

/**
 * The actor's info once it is ALIVE (somewhere else than `staleAddress`, an address its
 * worker was found dead at) or DEAD. Placing and constructing an actor may take as long as
 * resources stay busy and its constructor runs, so this is a long-poll: the control service
 * holds each ask for up to rpcLongPollMs, then answers the state it has (PENDING,
 * RESTARTING) and is asked again; each round has a deadline, so a hung control service fails
 * the wait instead of hanging it.
 */
export async function waitActorSettled(
  gcs: RpcCaller<GcsService>,
  actorId: string,
  staleAddress: string | undefined,
  config: ActorWaitConfig,
): Promise<ActorInfo> {
  const waitMs = config.rpcLongPollMs;
  for (;;) {
    const info = await gcs.call(
      "getActorInfo",
      { actorId, waitAlive: true, waitMs, ...(staleAddress !== undefined ? { staleAddress } : {}) },
      waitMs + config.rpcTimeoutMs,
    );
    if (info.state === "DEAD") return info;
    if (info.state === "ALIVE" && (staleAddress === undefined || info.address !== staleAddress)) return info;
  }
}
