/** What a process's peer server answers: hellos, routed to the group they name (the connection then carries that group's link frames). */
import { CollectiveError } from "@lux/core";
import { serve } from "@lux/protocol";
import type { CollectiveGroup } from "./group.js";
import type { PeerNetwork } from "./peer-network.js";
import { CollectivePeerService } from "./peer-service.js";

/** A group this process is a member of, and its links. */
export interface Member {
  group: CollectiveGroup;
  network: PeerNetwork;
}

/** The handlers of the peer server; `lookup` finds the groups this process is a member of. */
export function peerHandlers(lookup: (group: string) => Member | undefined): ReturnType<typeof serve<typeof CollectivePeerService>> {
  return serve(CollectivePeerService, {
    hello: (req, conn) => {
      const member = lookup(req.group);
      const fail = (reason: string): never => {
        throw new CollectiveError({ groupName: req.group, operation: "connect", rank: req.to, reason });
      };
      if (member === undefined || member.group.rank !== req.to) return fail(`no rank ${req.to} of the group in the process listening there`);
      if (member.group.worldSize !== req.worldSize) return fail(`rank ${req.to} is in a group of ${member.group.worldSize} ranks, not ${req.worldSize}`);
      if (member.network.declaration !== req.declaration) return fail(`rank ${req.to} is in another group of that name (an earlier or later createCollectiveGroup)`);
      return member.network.accept(conn, req);
    },
  });
}

