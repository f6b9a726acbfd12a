/**
 * How a rank of a collective group opens a link to another, over a connection that opens
 * with the cluster's handshake (protocol version and token): it introduces itself (`hello`).
 * The rank that dials is the one that receives on the link (it reads its socket through one
 * reused buffer, see peer-network.ts). Once the hello is answered, both ends detach the
 * connection from RPC and it carries the link's own frames (link-frames.ts): data,
 * shared-memory notices, freed slots, aborts.
 */
import { bool, defineService, int, obj, opt, returns, rpc, str, type ServiceOf } from "@lux/protocol";

export const CollectivePeerService = defineService({
  /**
   * Rank `from` of `group` opens a link to receive from rank `to`; with `shm`, it has mapped
   * `to`'s shared-memory slots (published at the rendezvous), so data of `to`'s may go there.
   */
  hello: rpc(
    obj({
      group: str,
      from: int(),
      to: int(),
      worldSize: int(1),
      declaration: opt(str),
      shm: opt(bool),
    }),
    returns<{ ok: true }>(),
  ),
});

export type CollectivePeerService = ServiceOf<typeof CollectivePeerService>;
