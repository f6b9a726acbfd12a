/**
 * `GET /api/stream/cluster`: the overview's live figures as Server-Sent Events. On
 * connecting, a `history` event carries the samples kept (a JSON array); then a `sample`
 * event each second (one ClusterSample), or a `problem` event saying why there was none.
 * Every watcher is fed by the same poll (cluster-sampler.ts).
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ClusterSample, ClusterSampler } from "./cluster-sampler.js";

/** Tells an EventSource how long to wait before reconnecting. */
const RETRY_MS = 2000;

export function registerClusterStream(app: FastifyInstance, sampler: ClusterSampler): void {
  const open = new Set<ServerResponse>();
  // Each sample is encoded once, whatever the number of watchers.
  let last: { sample: ClusterSample; text: string } | undefined;
  const encoded = (sample: ClusterSample): string => {
    if (last?.sample !== sample) last = { sample, text: event("sample", sample) };
    return last.text;
  };
  app.get("/api/stream/cluster", (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-content-type-options": "nosniff",
    });
    res.write(`retry: ${RETRY_MS}\n${event("history", sampler.history())}`);
    open.add(res);
    const unwatch = sampler.watch({
      sample: (s) => res.write(encoded(s)),
      problem: (message) => res.write(event("problem", { message })),
    });
    req.raw.once("close", () => {
      open.delete(res);
      unwatch();
    });
  });
  // Open streams (and their connections, which a client may keep) would keep the server
  // from closing: end them first.
  app.addHook("preClose", async () => {
    sampler.close();
    for (const res of open) res.destroy();
    open.clear();
  });
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
