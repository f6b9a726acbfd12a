import { defineConfig } from "../config-define.js";

/** Task events and the state API (docs/observability.md). */
export const OBSERVABILITY_ENTRIES = [
  defineConfig({
    name: "taskEventsReportIntervalMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 0,
    doc: "How often each process sends the state changes of its tasks (submitted, waiting for arguments, waiting for a worker, running, finished or failed) to the control service, in one batch. Smaller: `lux list tasks` is more current, at more messages. 0 turns task events off in that process (nothing is recorded: `lux list tasks`, `lux summary tasks` and `lux timeline` then know nothing of its tasks).",
  }),
  defineConfig({
    name: "taskEventsBatchMax",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "A process with this many task events waiting sends them at once instead of at its next interval (at most one batch in flight). Larger: fewer, bigger messages.",
  }),
  defineConfig({
    name: "taskEventsBufferMax",
    type: "number",
    default: 100_000,
    integer: true,
    min: 1,
    doc: "Task events a process keeps while its batch is on its way (the control service is slow or away); events past it are dropped and counted per job (the state API's `dropped`). Bounds the memory of a process that submits tasks faster than the control service takes their events.",
  }),
  defineConfig({
    name: "taskEventsRateMax",
    type: "number",
    default: 10_000,
    integer: true,
    min: 0,
    doc: "Tasks per second a process reports that finished without error right away (within one report interval of their submission), and as many runs that ended without error; past it, in that second, such tasks are counted as dropped instead of sent (the state API's `dropped`). Failures, retries, and tasks pending or running across a report are always reported. Keeps the cost of task events small when a process runs tens of thousands of tasks a second (the control service keeps only the last taskEventsMax anyway). 0: no limit.",
  }),
  defineConfig({
    name: "taskEventsMax",
    type: "number",
    default: 100_000,
    integer: true,
    min: 1,
    doc: "Tasks the control service keeps (`lux start --head --task-events-max`). Past it, the task finished longest ago is dropped first, then the oldest still pending or running, and failed tasks last; each drop is counted for its job (the state API's `dropped`). Each kept task costs the control service a few hundred bytes.",
  }),
  defineConfig({
    name: "recordRefCreationSites",
    type: "boolean",
    default: false,
    doc: "Record where each object was created (the caller's line of `put` or `.remote()`), shown by `lux memory` and the state API's objects (`callSite`). Costs a stack trace per object: for debugging leaks, not for production.",
  }),
] as const;
