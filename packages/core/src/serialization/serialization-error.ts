/**
 * Raised when a value cannot be turned into bytes (or bytes back into a value).
 *
 * Temporary home: this class will be re-parented onto `LuxError` once the shared
 * error hierarchy lands; until then it stays a plain `Error` subclass.
 */
export class SerializationError extends Error {
  override readonly name = "SerializationError";
  /**
   * Where in the value the problem is, written like a JavaScript access path:
   * `.opts.cb`, `[2].name`, `.cache.get("k")`, `.tags.values()[0]`.
   * Empty when the value itself is the problem or the place is unknown.
   */
  readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}
