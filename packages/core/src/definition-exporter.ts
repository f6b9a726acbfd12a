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
  private readonly exported = new WeakMap<Definition, { promise: Promise<void>; done: boolean }>();
  /** What was exported, by function id: put back when the control service loses it. */
  private readonly encoded = new Map<string, Uint8Array>();

  constructor(
    private readonly gcs: RpcCaller<GcsService>,
    private readonly functions: FunctionRegistry,
  ) {}

  /** Resolves once the definition is in the control service; `undefined` when it already is. */
  export(def: Definition): Promise<void> | undefined {
    let exported = this.exported.get(def);
    if (exported === undefined) {
      const descriptor = this.functions.describe(def);
      const value = FunctionRegistry.encode(descriptor);
      this.encoded.set(descriptor.functionId, value);
      const entry = {
        promise: this.gcs
          .call("kvPut", { key: `fn:${descriptor.functionId}`, value, overwrite: false })
          .then(() => void (entry.done = true)),
        done: false,
      };
      exported = entry;
      this.exported.set(def, entry);
      entry.promise.catch(() => this.exported.delete(def));
    }
    return exported.done ? undefined : exported.promise;
  }

  /**
   * The control service restarted and lost its state: every definition exported so far is
   * put back through `gcs` (the new connection, before calls waiting for it go through), so
   * tasks already submitted, and workers started later, find their code.
   */
  async exportAgain(gcs: RpcCaller<GcsService>): Promise<void> {
    await Promise.all([...this.encoded].map(([functionId, value]) => gcs.call("kvPut", { key: `fn:${functionId}`, value, overwrite: false })));
  }
}
