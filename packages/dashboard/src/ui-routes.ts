/**
 * What the dashboard's web UI needs of the server besides the state routes: its static
 * files (ui-files.ts) and the overview's live figures (cluster-stream.ts).
 */
import { systemClock, type Clock } from "@lux/protocol";
import type { FastifyInstance } from "fastify";
import { ClusterSampler, type NodeSource } from "./cluster-sampler.js";
import { registerClusterStream } from "./cluster-stream.js";
import { registerUi } from "./ui-files.js";

export interface UiRoutesOptions {
  /** Where the overview samples the cluster's nodes (a `lux.state` client). */
  state: NodeSource;
  /** The built UI (default: dist/ui of this package). */
  uiDir?: string;
  clock?: Clock;
  /** Time between the overview's samples (default 1000 ms). */
  sampleIntervalMs?: number;
}

export function registerUiRoutes(app: FastifyInstance, options: UiRoutesOptions): void {
  registerUi(app, options.uiDir);
  const sampler = new ClusterSampler({
    source: options.state,
    clock: options.clock ?? systemClock,
    ...(options.sampleIntervalMs !== undefined ? { intervalMs: options.sampleIntervalMs } : {}),
  });
  registerClusterStream(app, sampler);
}
