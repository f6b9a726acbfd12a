/** Message encoding for the RPC layer (not user values: those arrive as opaque bytes). */
import { Packr } from "msgpackr";

const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint" });

export function encodeMessage(message: unknown): Buffer {
  return packr.pack(message);
}

export function decodeMessage(bytes: Buffer): unknown {
  return packr.unpack(bytes);
}
