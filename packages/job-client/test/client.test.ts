/**
 * JobSubmissionClient against a scripted HTTP server (no cluster): the token it sends, each
 * error answer turned into its class, an unreachable server, and a tail read piece by piece.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { InvalidJobRequestError, JobApiError, JobExistsError, JobNotFinishedError, JobNotFoundError } from "@lux/common";
import { JobSubmissionClient } from "../src/index.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe("JobSubmissionClient", () => {
  let server: Server;
  let url = "";
  let handler: Handler = () => undefined;
  const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
  const answer = (status: number, body: unknown): Handler => (_req, _body, res) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body });
        handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends the token and the submission, and reads the answers", async () => {
    const client = new JobSubmissionClient(`${url}/`, { token: "secret" });
    handler = answer(200, { submissionId: "s1" });
    assert.equal(await client.submitJob({ entrypoint: "echo hi", metadata: { a: "b" } }), "s1");
    const sent = seen.at(-1);
    assert.deepEqual([sent?.method, sent?.url, sent?.authorization], ["POST", "/api/jobs", "Bearer secret"]);
    assert.deepEqual(JSON.parse(sent?.body ?? ""), { entrypoint: "echo hi", metadata: { a: "b" } });
    handler = answer(200, { status: "RUNNING", submissionId: "a/b" });
    assert.equal(await client.getJobStatus("a/b"), "RUNNING");
    assert.equal(seen.at(-1)?.url, "/api/jobs/a%2Fb", "ids are escaped");
    handler = answer(200, { stopped: true });
    assert.equal(await client.stopJob("x"), true);
    assert.equal(await client.dashboardUrl(), url);
  });

  it("throws the error class each answer names", async () => {
    const client = new JobSubmissionClient(url, { token: "secret" });
    handler = answer(404, { error: "LUX_JOB_NOT_FOUND", message: "…", submissionId: "x" });
    await assert.rejects(client.getJobInfo("x"), (e: unknown) => e instanceof JobNotFoundError && e.submissionId === "x");
    handler = answer(409, { error: "LUX_JOB_EXISTS", message: "…", submissionId: "x" });
    await assert.rejects(client.submitJob({ entrypoint: "true", submissionId: "x" }), JobExistsError);
    handler = answer(400, { error: "LUX_INVALID_JOB_REQUEST", message: "…", field: "entrypoint", reason: "must not be empty" });
    await assert.rejects(client.submitJob({ entrypoint: "" }), (e: unknown) => e instanceof InvalidJobRequestError && e.field === "entrypoint" && e.reason === "must not be empty");
    handler = answer(400, { error: "LUX_JOB_NOT_FINISHED", message: "…", submissionId: "x", status: "RUNNING" });
    await assert.rejects(client.deleteJob("x"), (e: unknown) => e instanceof JobNotFinishedError && e.status === "RUNNING");
    handler = answer(401, { error: "unauthorized", message: "no" });
    await assert.rejects(client.listJobs(), (e: unknown) => e instanceof JobApiError && e.status === 401 && /token was refused/.test(e.message));
    handler = (_req, _body, res) => res.writeHead(502).end("bad gateway");
    await assert.rejects(client.listJobs(), (e: unknown) => e instanceof JobApiError && e.status === 502 && /bad gateway/.test(e.message));
  });

  it("throws JobApiError without a status when nothing answers", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new JobSubmissionClient(`http://127.0.0.1:${port}`, { token: "t" });
    await assert.rejects(client.listJobs(), (e: unknown) => e instanceof JobApiError && e.status === undefined && /ECONNREFUSED/.test(e.message));
  });

  it("gives a tail piece by piece as the server writes it", async () => {
    let release: () => void = () => undefined;
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      release = () => res.end("second\n");
    };
    const pieces: string[] = [];
    for await (const text of new JobSubmissionClient(url, { token: "t" }).tailJobLogs("j")) {
      pieces.push(text);
      if (text === "first\n") release();
    }
    assert.deepEqual(pieces, ["first\n", "second\n"]);
  });
});
