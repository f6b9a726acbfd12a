import { RESERVED_EXTENSION_TYPES, addRawExtension, noteContained } from "./packr.js";

/**
 * A class whose instances cross the wire by custom encoding (ObjectRef, ActorHandle).
 * Instances are found anywhere in a value (nested in objects, arrays, Maps, Sets,
 * cycles), encoded with `encode`, rebuilt with `decode`, and listed in
 * `Serialized.contained`.
 */
export interface WireExtension<T extends object> {
  /** msgpackr extension type, 1..100 (97 to 100 are reserved by the codec). */
  readonly type: number;
  readonly Class: abstract new (...args: never[]) => T;
  /** Returns plain data (msgpack-able: no functions, no instances of this class). */
  encode(value: T): unknown;
  decode(data: unknown): T;
}

type AnyClass = abstract new (...args: never[]) => object;

const byType = new Map<number, WireExtension<object>>();

/** Classes of registered wire extensions, in registration order (read by the pre-walk). */
export const wireClasses: AnyClass[] = [];

/** Finds the registered extension for an instance (only used on slow paths). */
export function wireExtensionOf(value: object): WireExtension<object> | undefined {
  for (const extension of byType.values()) {
    if (value instanceof extension.Class) return extension;
  }
  return undefined;
}

const reservedTypes: ReadonlySet<number> = new Set(Object.values(RESERVED_EXTENSION_TYPES));

/**
 * Registers a class whose instances are serialized with `encode`/`decode`.
 * Call once per class at module load, in every process (both ends must agree on the type).
 * Registering the same extension object again is a no-op.
 */
export function registerWireExtension<T extends object>(extension: WireExtension<T>): void {
  const { type, Class } = extension;
  if (!Number.isInteger(type) || type < 1 || type > 100 || reservedTypes.has(type)) {
    throw new RangeError(
      `wire extension type must be an integer from 1 to 100, except ${[...reservedTypes].sort((a, b) => a - b).join(", ")} ` +
        `(reserved by the codec); got ${String(type)}`,
    );
  }
  const existing = byType.get(type);
  if (existing === extension) return;
  if (existing !== undefined) {
    throw new TypeError(
      `wire extension type ${type} is already registered for ${existing.Class.name}; ` +
        `pick another type for ${Class.name}`,
    );
  }
  for (const other of byType.values()) {
    if (other.Class === Class) {
      throw new TypeError(`${Class.name} is already registered as wire extension type ${other.type}`);
    }
  }
  byType.set(type, extension as WireExtension<object>);
  wireClasses.push(Class);
  addRawExtension({
    Class,
    type,
    write(this: unknown, value: T): unknown {
      noteContained(this, value);
      return extension.encode(value);
    },
    read: (data: unknown): unknown => extension.decode(data),
  });
}
