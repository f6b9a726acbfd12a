/**
 * What the autoscaler needs of a place that runs nodes (this machine's processes, Kubernetes
 * pods): start nodes of a type, end them, and find them again by their tags, so a restarted
 * autoscaler knows its instances without a record of its own.
 */

/** Tags of a provider's node; the autoscaler's own are below (`lux.io/…`). */
export type NodeTags = Readonly<Record<string, string>>;

/** The cluster a node belongs to (its clusterName). */
export const TAG_CLUSTER = "lux.io/cluster";
/** The node type (a key of availableNodeTypes). */
export const TAG_NODE_TYPE = "lux.io/node-type";
/** "head" or "worker". */
export const TAG_NODE_KIND = "lux.io/node-kind";

export type NodeKind = "head" | "worker";

export interface NodeProvider {
  /**
   * Starts `count` nodes of `nodeType`, tagged with `tags` (and with TAG_NODE_TYPE); resolves
   * with their ids once the provider has them (not once they joined the cluster). Rejects with
   * NodeProviderError when the provider refuses (nodes it did create are in
   * nonTerminatedNodes all the same).
   */
  createNodes(nodeType: string, count: number, tags: NodeTags): Promise<string[]>;
  /** Ends these nodes (drained before, by the autoscaler); ids already gone are ignored. */
  terminateNodes(ids: readonly string[]): Promise<void>;
  /** Ids of the nodes starting or running whose tags include every one of `tagFilter`. */
  nonTerminatedNodes(tagFilter: NodeTags): Promise<string[]>;
  /** A node's tags ({} once it is gone). */
  nodeTags(id: string): Promise<NodeTags>;
  /** The node's address inside the cluster network, once it has one. */
  internalIp(id: string): Promise<string | undefined>;
  /** Why a node the provider started ended without being terminated (it failed), if it did. */
  failureOf?(id: string): string | undefined;
  /** Stops watching; the nodes keep running. */
  close(): Promise<void>;
}

/** Whether `tags` include every entry of `filter`. */
export function tagsMatch(tags: NodeTags, filter: NodeTags): boolean {
  for (const [k, v] of Object.entries(filter)) if (tags[k] !== v) return false;
  return true;
}
