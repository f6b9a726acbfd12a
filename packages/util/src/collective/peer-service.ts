/**
 * How a rank of a collective group opens a link to another, over a connection that opens
 * with the cluster's handshake (protocol version and token): it introduces itself (`hello`).
 * Once the hello is answered, both ends detach the connection from RPC and it carries the
 * link's own frames (link-frames.ts): data, shared-memory notices, freed slots, aborts.
 */
import { defineService, int, obj, opt, returns, rpc, str, type ServiceOf } from "@lux/protocol";

export const CollectivePeerService = defineService({
  /** The sender, rank `from` of `group`, opens a link to rank `to`; with `shm`, it offers its slot file. */
  hello: rpc(
    obj({
      group: str,
      from: int(),
      to: int(),
      worldSize: int(1),
      declaration: opt(str),
      shm: opt(obj({ path: str, nonce: str, slots: int(1), slotBytes: int(1) })),
    }),
    returns<{ shm: boolean }>(),
  ),
});

export type CollectivePeerService = ServiceOf<typeof CollectivePeerService>;
