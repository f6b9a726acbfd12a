import { SerializationError as LuxSerializationError } from "@lux/common";

/**
 * Raised when a value cannot be turned into bytes (or bytes back into a value).
 *
 * It extends the `SerializationError` that `lux` exports (a `LuxError` with code
 * LUX_SERIALIZATION), so users can catch it with `instanceof lux.SerializationError`;
 * the codec words its own message, which names the path and what to do instead.
 */
export class SerializationError extends LuxSerializationError {
  /**
   * Where in the value the problem is, written like a JavaScript access path:
   * `.opts.cb`, `[2].name`, `.cache.get("k")`, `.tags.values()[0]`.
   * Empty when the value itself is the problem or the place is unknown.
   */
  declare readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super({ path, reason: message, cause: options?.cause });
    // The base class words a generic message around `reason`; the codec's is precise.
    this.message = message;
  }
}
