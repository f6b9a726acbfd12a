/**
 * What ranks of a collective group say to each other, over connections that open with the
 * cluster's handshake (protocol version and token). A rank opens one connection to each peer
 * it sends to and introduces itself (`hello`); data then goes as `data` (the bytes in the
 * frame, as raylets send object chunks) or, between ranks of one node, as `shm` (the bytes
 * are in the sender's shared-memory slot; the reply frees it).
 */
import { bytes, defineService, int, obj, opt, returns, rpc, str, type ServiceOf } from "@lux/protocol";

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
  /** Step `step` of operation (`ch`, `seq`): its bytes (a notification). */
  data: rpc(obj({ d: bytes, ch: str, seq: int(), step: str }), returns<void>()),
  /** Step `step` of operation (`ch`, `seq`): `n` bytes in slot `slot` of the sender's file; answered once read. */
  shm: rpc(obj({ ch: str, seq: int(), step: str, slot: int(), n: int() }), returns<Record<string, never>>()),
  /** Operation (`ch`, `seq`) failed at the sender (a notification). */
  abort: rpc(obj({ ch: str, seq: int(), reason: str }), returns<void>()),
});

export type CollectivePeerService = ServiceOf<typeof CollectivePeerService>;
