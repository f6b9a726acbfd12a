import { defineConfig } from "../config-define.js";

/** The control service. */
export const CONTROL_SERVICE_ENTRIES = [
  defineConfig({
    name: "gcsHealthCheckPeriodMs",
    type: "number",
    default: 1000,
    integer: true,
    min: 1,
    doc: "How often the control service checks that each node is alive.",
  }),
  defineConfig({
    name: "nodeDeathTimeoutMs",
    type: "number",
    default: 30_000,
    integer: true,
    min: 1,
    doc: "A node whose raylet has not answered a health check for this long is declared dead (its connection may still look open: a hung or partitioned machine). Work running there then fails over: calls waiting on its workers end.",
  }),
  defineConfig({
    name: "resourceViewBatchMs",
    type: "number",
    default: 10,
    integer: true,
    min: 0,
    doc: "The control service pushes changes of the cluster resource view (reports, joins, deaths) to every raylet at most once per this many milliseconds, each push carrying every node that changed meanwhile, and a joining node's whole view once per batch: with 1,000 nodes joining at once that is a few thousand messages instead of a million. 0 pushes each change at once.",
  }),
  defineConfig({
    name: "actorRegistrationWaitMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 0,
    doc: "How long a lookup of an actor id the control service does not know waits for the creator's registration (a handle can reach another process first) before the actor counts as dead.",
  }),
  defineConfig({
    name: "redisConnectTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "Deadline of the control service connecting to its Redis storage at start.",
  }),
  defineConfig({
    name: "redisRecordTtlMs",
    type: "number",
    default: 86_400_000,
    integer: true,
    min: 1000,
    doc: "How long a cluster's records stay in Redis once its control service is gone: while it runs, it renews them every third of this. A control service restarted later than this starts empty; records of a cluster that is gone for good do not stay forever.",
  }),
  defineConfig({
    name: "bundleReservationTimeoutMs",
    type: "number",
    default: 10_000,
    integer: true,
    min: 1,
    doc: "Deadline of each call the control service makes to reserve or free a placement group's bundles on a raylet (prepare, commit, return). A node that does not answer in time counts as refusing: the group takes nothing and stays pending.",
  }),
  defineConfig({
    name: "bundlePrepareTimeoutMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1,
    doc: "How long a raylet holds a placement group's bundles prepared (phase one) without the commit (phase two) before it returns them itself: the control service that prepared them died or gave up, and nothing else would free them.",
  }),
] as const;
