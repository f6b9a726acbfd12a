/**
 * The state API over HTTP, read through `lux.state` (the dashboard's views use these):
 *
 *   GET /api/state/:kind?filter=state=FAILED&filter=name!=f&limit=100&pageToken=T&detail=true
 *       → { items, nextPageToken, total, dropped }
 *   GET /api/state/:kind/:id       → the item with detail (404 when there is none)
 *   GET /api/summary/:kind         → counts (tasks, actors, objects); takes filter too
 *   GET /api/timeline?jobId=J      → Chrome trace events
 *
 * An invalid query is a 400 whose body names the invalid part and lists the valid values.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { InvalidStateQueryError, state } from "lux";

/** What the routes need of a `lux.state` client. */
export type StateSource = Pick<state.StateClient, "list" | "get" | "summary" | "timeline">;

interface ListQuery {
  filter?: string | string[];
  limit?: string;
  pageToken?: string;
  detail?: string;
}

export function registerStateRoutes(app: FastifyInstance, source: StateSource): void {
  app.get<{ Params: { kind: string }; Querystring: ListQuery }>("/api/state/:kind", async (req, reply) =>
    answer(reply, () => {
      const kind = state.checkKind(req.params.kind);
      const { limit, pageToken, detail } = req.query;
      return source.list(kind, {
        filters: filtersOf(kind, req.query.filter),
        ...(limit !== undefined ? { limit: limitOf(limit) } : {}),
        ...(pageToken !== undefined && pageToken !== "" ? { pageToken } : {}),
        detail: detail === "true" || detail === "1",
      });
    }),
  );
  app.get<{ Params: { kind: string; id: string } }>("/api/state/:kind/:id", async (req, reply) =>
    answer(reply, async () => {
      const item = await source.get(state.checkKind(req.params.kind), req.params.id);
      if (item === undefined) return reply.code(404).send({ error: "not_found", message: `no ${req.params.kind} item ${JSON.stringify(req.params.id)}` });
      return item;
    }),
  );
  app.get<{ Params: { kind: string }; Querystring: ListQuery }>("/api/summary/:kind", async (req, reply) =>
    answer(reply, () => {
      const kind = state.checkSummaryKind(req.params.kind);
      return source.summary(kind, { filters: filtersOf(kind, req.query.filter) });
    }),
  );
  app.get<{ Querystring: { jobId?: string } }>("/api/timeline", async (req, reply) =>
    answer(reply, () => source.timeline(req.query.jobId !== undefined && req.query.jobId !== "" ? { jobId: req.query.jobId } : {})),
  );
}

function filtersOf(kind: state.StateKind, texts: string | string[] | undefined): state.Filter[] {
  if (texts === undefined) return [];
  return (Array.isArray(texts) ? texts : [texts]).map((t) => state.parseFilter(kind, t));
}

function limitOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidStateQueryError({ part: "limit", given: text, valid: [], reason: "a whole number of at least 1" });
  return n;
}

/** The route's result, or a 400 naming what is invalid in the query. */
async function answer(reply: FastifyReply, run: () => unknown): Promise<unknown> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof InvalidStateQueryError) {
      return reply.code(400).send({ error: e.code, message: e.message, part: e.part, valid: e.valid });
    }
    throw e;
  }
}
