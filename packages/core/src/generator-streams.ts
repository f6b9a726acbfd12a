import type { CoreWorkerService, GeneratorItem, RpcConnection } from "@lux/protocol";
import { objectIdFor, taskIdOfObject } from "@lux/common";
import { GeneratorStream, STOP, type ItemReply } from "./generator-stream.js";
import type { ObjectManager } from "./object-manager.js";
import type { ObjectRef } from "./object-ref.js";
import { ObjectRefGenerator } from "./object-ref-generator.js";
import type { TaskRecord } from "./task-record.js";

/**
 * The owner's streaming generator tasks that are still running, by task id: where the items
 * their workers report go (CoreWorkerService.reportGeneratorItem).
 */
export class GeneratorStreams {
  private readonly running = new Map<string, GeneratorStream>();

  constructor(private readonly objects: ObjectManager) {}

  /**
   * The generator of a task just submitted (its spec has `generator`), from the owner's ref to
   * its return 0 (`completion`), which is set when the task ends (with its error if it fails).
   */
  open<T>(completion: ObjectRef): ObjectRefGenerator<T> {
    const taskId = taskIdOfObject(completion.objectId) ?? "";
    // The completion's entry lives while `completion` does (the generator holds it); its task
    // is the record while unfinished (not when it failed at once, e.g. its cluster was lost).
    const slot = this.objects.memory.slot(completion.objectId);
    const record = slot?.task as TaskRecord | undefined;
    const spec = record?.spec.generator ?? { backpressure: 0, skip: 0 };
    const stream = new GeneratorStream(taskId, spec, this.objects, () => this.running.delete(taskId));
    this.running.set(taskId, stream);
    if (slot?.value !== undefined) stream.ended(slot.value);
    else if (slot !== undefined) this.objects.memory.addWaiter(slot, (v) => stream.ended(v));
    return new ObjectRefGenerator<T>(stream, completion as ObjectRef<void>);
  }

  /** An item from the worker running one of these tasks (`connection`: the one the task was pushed on). */
  report(item: GeneratorItem, connection: RpcConnection<CoreWorkerService>): ItemReply | Promise<ItemReply> {
    const objectId = objectIdFor(item.taskId, item.index + 1);
    const stream = this.running.get(item.taskId);
    if (stream === undefined) {
      // The task ended (or was cancelled) meanwhile: nobody will take the item.
      this.objects.discard(objectId, item.nodeId);
      return STOP;
    }
    return stream.report(item, objectId, () => connection.notify("releaseContained", { objectIds: [objectId] }));
  }

  /** Generator tasks running (for leak checks). */
  size(): number {
    return this.running.size;
  }
}
