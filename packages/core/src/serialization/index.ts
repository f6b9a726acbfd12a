export {
  SerializationError,
  deserialize,
  deserializeLoading,
  registerWireExtension,
  serialize,
  type Serialized,
  type WireExtension,
} from "./codec.js";
export { serializeParts, deserializeParts, deserializePartsLoading, type SerializedParts } from "./parts.js";
export { refuseClass, setClassLookup, type ClassLookup } from "./classes.js";
