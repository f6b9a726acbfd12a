/**
 * The jobs API over HTTP (docs/jobs.md). Errors answer `{ error: <code>, message, … }`:
 * 400 LUX_INVALID_JOB_REQUEST (with `field`, `reason`), 404 LUX_JOB_NOT_FOUND, 409
 * LUX_JOB_EXISTS, 400 LUX_JOB_NOT_FINISHED (with `status`).
 *
 *   POST   /api/jobs                 { entrypoint, submissionId?, … } → { submissionId }
 *   GET    /api/jobs                 → { jobs: JobDetails[] } (oldest first)
 *   GET    /api/jobs/:id             → JobDetails
 *   GET    /api/jobs/:id/logs        → { logs }
 *   GET    /api/jobs/:id/logs/tail   → text/plain, chunked: the output from the start, as it comes, until the job ends
 *   POST   /api/jobs/:id/stop        → { stopped }
 *   DELETE /api/jobs/:id             → { deleted: true }
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidJobRequestError, JobExistsError, JobNotFinishedError, JobNotFoundError, LuxError } from "@lux/common";
import type { JobDetails } from "lux/job";

/** What the routes need of the job manager (JobManager; a fake in unit tests). */
export interface JobsSource {
  submit(body: unknown): Promise<string>;
  info(id: string): Promise<JobDetails>;
  list(): Promise<JobDetails[]>;
  logs(id: string): Promise<string>;
  tail(id: string, signal: AbortSignal): AsyncIterable<string>;
  stop(id: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
}

type ById = { Params: { id: string } };

export function registerJobRoutes(app: FastifyInstance, jobs: JobsSource): void {
  void app.register(async (scope) => {
    scope.setErrorHandler(answerError);
    scope.post("/api/jobs", async (req) => {
      if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
        throw new InvalidJobRequestError({ field: "body", reason: "send the job as JSON, with Content-Type: application/json" });
      }
      return { submissionId: await jobs.submit(req.body) };
    });
    scope.get("/api/jobs", async () => ({ jobs: await jobs.list() }));
    scope.get<ById>("/api/jobs/:id", async (req) => jobs.info(req.params.id));
    scope.get<ById>("/api/jobs/:id/logs", async (req) => ({ logs: await jobs.logs(req.params.id) }));
    scope.get<ById>("/api/jobs/:id/logs/tail", async (req, reply) => tail(jobs, req, reply));
    scope.post<ById>("/api/jobs/:id/stop", async (req) => ({ stopped: await jobs.stop(req.params.id) }));
    scope.delete<ById>("/api/jobs/:id", async (req) => ({ deleted: await jobs.delete(req.params.id) }));
  });
}

/** Streams the output as chunked text: each piece is written as it comes; the response ends with the job. */
async function tail(jobs: JobsSource, req: FastifyRequest<ById>, reply: FastifyReply): Promise<void> {
  await jobs.info(req.params.id); // 404 before the stream starts
  const abort = new AbortController();
  reply.hijack();
  const res = reply.raw;
  res.on("close", () => abort.abort());
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  try {
    for await (const text of jobs.tail(req.params.id, abort.signal)) {
      if (abort.signal.aborted) break;
      if (!res.write(text)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  } catch (e) {
    res.write(`\n[lux: the log tail failed: ${(e as Error).message}]\n`);
  } finally {
    res.end();
  }
}

function answerError(error: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof InvalidJobRequestError) return reply.code(400).send({ error: error.code, message: error.message, field: error.field, reason: error.reason });
  if (error instanceof JobNotFinishedError) return reply.code(400).send({ error: error.code, message: error.message, submissionId: error.submissionId, status: error.status });
  if (error instanceof JobNotFoundError) return reply.code(404).send({ error: error.code, message: error.message, submissionId: error.submissionId });
  if (error instanceof JobExistsError) return reply.code(409).send({ error: error.code, message: error.message, submissionId: error.submissionId });
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own refusals of the request: a body that is not JSON, a wrong content type, too large.
    const reason = error.message;
    return reply.code(status).send({ error: "LUX_INVALID_JOB_REQUEST", message: `invalid job request: body: ${reason}`, field: "body", reason });
  }
  // E.g. the cluster could not be reached: its coded error says so.
  const code = error instanceof LuxError ? error.code : "LUX_INTERNAL";
  return reply.code(500).send({ error: code, message: error.message });
}
