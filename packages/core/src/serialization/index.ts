export {
  SerializationError,
  deserialize,
  registerWireExtension,
  serialize,
  type Serialized,
  type WireExtension,
} from "./codec.js";
