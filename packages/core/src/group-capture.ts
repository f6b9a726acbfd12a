import type { PlacementGroupPlacement } from "@lux/protocol";
import type { ActorOptionsCompiled } from "./actor-creator.js";
import { checkFitsGroup } from "./placement-group-fit.js";
import type { TaskOptionsCompiled } from "./task-record.js";

/**
 * Work created inside a placement group that captures child tasks runs in that group (any
 * bundle), unless it set a scheduling strategy of its own: its options, with the group.
 */
export class GroupCapture {
  /** Captured task options, by the options and the group: one object each, as the submitter keys its queues by them. */
  private readonly tasks = new WeakMap<TaskOptionsCompiled, Map<string, TaskOptionsCompiled>>();

  /** `current`: the group the running task or actor is in, if any. */
  constructor(private readonly current: () => PlacementGroupPlacement | undefined) {}

  task(options: TaskOptionsCompiled): TaskOptionsCompiled {
    const group = this.capturing();
    if (group === undefined) return options;
    let byGroup = this.tasks.get(options);
    if (byGroup === undefined) this.tasks.set(options, (byGroup = new Map()));
    let captured = byGroup.get(group.placementGroupId);
    if (captured === undefined) {
      checkFitsGroup(options.resources, group);
      captured = { ...options, placementGroup: group };
      byGroup.set(group.placementGroupId, captured);
    }
    return captured;
  }

  actor(options: ActorOptionsCompiled): ActorOptionsCompiled {
    const group = this.capturing();
    if (group === undefined) return options;
    checkFitsGroup(options.resources, group);
    return { ...options, placementGroup: group, placementResources: undefined };
  }

  private capturing(): PlacementGroupPlacement | undefined {
    const current = this.current();
    return current?.captureChildTasks === true ? { ...current, bundleIndex: -1 } : undefined;
  }
}
