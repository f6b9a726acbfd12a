/**
 * The nodes' logs over HTTP, read through `lux.state` (the dashboard's Logs view):
 *
 *   GET /api/logs?nodeId=N          → [{ nodeId, files: [{ name, size, modifiedAt }] }]
 *   GET /api/logs?nodeId=N&file=F&tail=1000
 *       → text/plain: the file's last `tail` lines (default 1000)
 *   GET /api/logs/tail?nodeId=N&file=F&tail=1000
 *       → text/plain, chunked: the last `tail` lines, then every line written after, until
 *         the client goes away.
 *   Instead of `file`: `pid`, `actorId` or `taskId`.
 *
 * A log that is not there is a 404, a bad query a 400, each naming the problem. What can be
 * read is what each node's raylet serves: files of its session's logs folder (a name, never
 * a path), on nodes the control service lists, found by their id; no address or URL is
 * taken from the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidOptionError, LogNotFoundError, state } from "lux";

/** Lines a tail starts with when the query names no number. */
const DEFAULT_TAIL = 1000;

/** What names one log: with any of these, `/api/logs` reads it instead of listing. */
const SELECTORS = ["file", "pid", "actorId", "taskId"] as const;

/** What the routes need of a `lux.state` client. */
export type LogsSource = Pick<state.StateClient, "listLogs" | "getLog">;

interface TailQuery {
  nodeId?: string;
  file?: string;
  pid?: string;
  actorId?: string;
  taskId?: string;
  tail?: string;
}

export function registerLogRoutes(app: FastifyInstance, source: LogsSource): void {
  app.get<{ Querystring: TailQuery }>("/api/logs", async (req, reply) => {
    const q = req.query;
    if (SELECTORS.some((k) => q[k] !== undefined && q[k] !== "")) return read(source, q, reply);
    return answer(reply, () => source.listLogs(q.nodeId !== undefined && q.nodeId !== "" ? { nodeId: q.nodeId } : {}));
  });
  app.get<{ Querystring: TailQuery }>("/api/logs/tail", async (req, reply) => {
    let options: state.GetLogOptions;
    try {
      options = optionsOf(req.query);
      // Finds the log (or its problem) before the answer starts: a stream cannot become a 404.
      for await (const _ of source.getLog({ ...options, tail: 1 })) void _;
    } catch (e) {
      return problem(reply, e);
    }
    await stream(source, { ...options, follow: true }, req, reply);
  });
}

/** The last `tail` lines (default 1000) at once, as text/plain. */
async function read(source: LogsSource, q: TailQuery, reply: FastifyReply): Promise<unknown> {
  try {
    const lines: string[] = [];
    for await (const line of source.getLog(optionsOf(q))) lines.push(line);
    return reply.type("text/plain; charset=utf-8").header("cache-control", "no-store").send(lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  } catch (e) {
    return problem(reply, e);
  }
}

function optionsOf(q: TailQuery): state.GetLogOptions {
  const text = (v: string | undefined): v is string => v !== undefined && v !== "";
  const tail = q.tail !== undefined ? Number(q.tail) : DEFAULT_TAIL;
  // Checked here: the probe below reads with a tail of its own.
  if (!Number.isInteger(tail) || tail < 1) throw new InvalidOptionError({ option: "tail", expected: "a whole number >= 1", received: q.tail });
  const options: state.GetLogOptions = { tail };
  if (text(q.nodeId)) options.nodeId = q.nodeId;
  if (text(q.file)) options.file = q.file;
  if (text(q.pid)) options.pid = Number(q.pid);
  if (text(q.actorId)) options.actorId = q.actorId;
  if (text(q.taskId)) options.taskId = q.taskId;
  return options;
}

/** The lines as chunked text, each piece as it comes, until the client closes the connection. */
async function stream(source: LogsSource, options: state.GetLogOptions, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const lines = source.getLog(options)[Symbol.asyncIterator]();
  reply.hijack();
  const res = reply.raw;
  // The client went away: the reading ends now, even while it waits for new lines.
  res.on("close", () => void lines.return?.());
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  try {
    for (;;) {
      const next = await lines.next();
      if (next.done === true || req.raw.destroyed) break;
      if (!res.write(`${next.value}\n`)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  } catch (e) {
    res.write(`\n[lux: the log tail failed: ${(e as Error).message}]\n`);
  } finally {
    res.end();
  }
}

async function answer(reply: FastifyReply, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (e) {
    return problem(reply, e);
  }
}

function problem(reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof LogNotFoundError) return reply.code(404).send({ error: e.code, message: e.message });
  if (e instanceof InvalidOptionError) return reply.code(400).send({ error: e.code, message: e.message });
  throw e;
}
