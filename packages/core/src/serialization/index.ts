export {
  SerializationError,
  deserialize,
  registerWireExtension,
  serialize,
  type Serialized,
  type WireExtension,
} from "./codec.js";
export { serializeParts, deserializeParts, type SerializedParts } from "./parts.js";
