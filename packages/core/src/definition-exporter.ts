import type { GcsService, RpcCaller } from "@lux/protocol";
import { FunctionRegistry, type Definition } from "./function-registry.js";

/**
 * Puts the definitions (functions, actor classes) this process submits into the control
 * service, once each, for the workers that run them to load.
 */
export class DefinitionExporter {
  /**
   * Definitions exported to this cluster's control service, by definition. Kept here, not
   * on the definition: after shutdown() and init() the same definition meets a new cluster.
   */
  private exported = new WeakMap<Definition, { promise: Promise<void>; done: boolean }>();

  constructor(
    private readonly gcs: RpcCaller<GcsService>,
    private readonly functions: FunctionRegistry,
  ) {}

  /** Resolves once the definition is in the control service; `undefined` when it already is. */
  export(def: Definition): Promise<void> | undefined {
    let exported = this.exported.get(def);
    if (exported === undefined) {
      const descriptor = this.functions.describe(def);
      const entry = {
        promise: this.gcs
          .call("kvPut", { key: `fn:${descriptor.functionId}`, value: FunctionRegistry.encode(descriptor), overwrite: false })
          .then(() => void (entry.done = true)),
        done: false,
      };
      exported = entry;
      this.exported.set(def, entry);
      entry.promise.catch(() => this.exported.delete(def));
    }
    return exported.done ? undefined : exported.promise;
  }

  /** The control service lost its state: every definition is exported again when next used. */
  forgetAll(): void {
    this.exported = new WeakMap();
  }
}
