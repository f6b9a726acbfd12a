import { ObjectRef } from "./object-ref.js";
import { registerWireExtension } from "./serialization/index.js";

registerWireExtension<ObjectRef>({
  type: 1,
  Class: ObjectRef,
  encode: (r) => [r.objectId, r.ownerAddress],
  decode: (data) => {
    const [objectId, ownerAddress] = data as [string, string];
    return new ObjectRef(objectId, ownerAddress);
  },
});
