import { defineConfig } from "../config-define.js";

/** The raylet's memory monitor (which kills a worker when its node runs out of memory) and retries after such kills. */
export const MEMORY_ENTRIES = [
  defineConfig({
    name: "memoryMonitorIntervalMs",
    type: "number",
    default: 250,
    integer: true,
    min: 0,
    doc: "How often each raylet measures its node's memory use (cgroup v2 memory.current against memory.max when a limit is set, else /proc/meminfo; or its own processes against `--memory-capacity`). Shorter reacts sooner to a task that grows fast; 0 turns the monitor off (no kills, no refused leases). Also `lux start --memory-monitor-interval-ms`.",
  }),
  defineConfig({
    name: "memoryUsageThreshold",
    type: "number",
    default: 0.95,
    min: 0,
    max: 1,
    doc: "Above this fraction of its memory a node kills one worker (the newest retriable task, else the newest actor with restarts left, else the newest of any) and takes no new leases until it is below again. Lower leaves more headroom for the system; higher lets tasks use more before one is killed. Also `lux start --memory-usage-threshold`.",
  }),
  defineConfig({
    name: "memoryMonitorKillGraceMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 0,
    doc: "After a kill the monitor kills no other worker until the killed one has exited and this long has passed (its memory takes a moment to be returned and measured), so one spike does not kill a burst of workers.",
  }),
  defineConfig({
    name: "oomRetryDelayMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 0,
    doc: "A task whose worker a memory monitor killed is run again (if it has retries left) after this delay, doubled at each further such kill of the same task (up to oomRetryMaxDelayMs), so the node can recover first.",
  }),
  defineConfig({
    name: "oomRetryMaxDelayMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 0,
    doc: "The longest delay before re-running a task killed for lack of memory (see oomRetryDelayMs).",
  }),
] as const;
