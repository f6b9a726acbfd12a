import type { ReturnValue } from "@lux/protocol";
import type { WireError } from "@lux/common";
import type { ObjectValue } from "./memory-store.js";
import type { SerializedParts } from "./serialization/index.js";

/** An object's value as a task reply or `getObjectStatus` carries it. */
export function toReturnValue(objectId: string, v: ObjectValue): ReturnValue {
  switch (v.kind) {
    case "inline":
      return { objectId, value: v.bytes };
    case "stored":
      return { objectId, nodeId: v.nodeId, size: v.size };
    case "error":
      return { objectId, error: v.error };
  }
}

export function fromReturnValue(r: ReturnValue): ObjectValue {
  if (r.error !== undefined) return { kind: "error", error: r.error as WireError };
  if (r.value !== undefined) return { kind: "inline", bytes: r.value };
  const stored = { kind: "stored", nodeId: r.nodeId ?? "", size: r.size ?? 0 } as const;
  return r.locations !== undefined && r.locations.length > 0 ? { ...stored, locations: r.locations } : stored;
}

/** Small values (up to `maxBytes`, config inlineObjectMaxBytes) without large binaries travel inline; the rest goes to the node's store. */
export function isInline(parts: SerializedParts, maxBytes: number): boolean {
  return parts.buffers.length === 0 && parts.structure.byteLength <= maxBytes;
}
