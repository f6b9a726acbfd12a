/**
 * `lux job submit|status|logs|stop|list|delete`: the jobs API of the head's HTTP server from the
 * command line (docs/jobs.md), through the same client as `lux/job`. `--address` is the
 * dashboard's URL (`http://HOST:PORT`) or a control service (`HOST:PORT`); default LUX_ADDRESS,
 * else the cluster on this machine. `lux job submit` follows the output and exits with the
 * job's result: 0 when it SUCCEEDED, the entrypoint's exit code when it FAILED, 1 when STOPPED.
 */
import * as path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { sleep, systemClock } from "@lux/common";
import { JobSubmissionClient, isTerminalStatus, type JobDetails, type JobRuntimeEnv, type JobSubmission } from "@lux/job-client";
import { CliError } from "./errors.js";
import { checkFormat, structured, table } from "./state-format.js";

interface AddressFlags {
  address?: string;
}

interface SubmitFlags extends AddressFlags {
  workingDir?: string;
  runtimeEnvJson?: Record<string, unknown>;
  metadataJson?: Record<string, string>;
  submissionId?: string;
  entrypointNumCpus?: number;
  entrypointNumGpus?: number;
  entrypointResources?: Record<string, number>;
  wait: boolean;
}

/** How often `lux job stop` looks whether the job has ended. */
const STOP_POLL_MS = 100;

const addressOption = (): Option =>
  new Option("--address <address>", "the head's HTTP server, http://HOST:PORT, or a control service HOST:PORT (default: LUX_ADDRESS, else the cluster on this machine)");

function jsonObject(flag: string): (value: string) => Record<string, never> {
  return (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InvalidArgumentError(`${flag} takes a JSON object, got ${value}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError(`${flag} takes a JSON object, got ${value}`);
    return parsed as Record<string, never>;
  };
}

function amount(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`takes a number >= 0, got "${value}"`);
  return n;
}

/** One argument is a shell command line as it is; several are quoted for the shell where needed and joined. */
export function entrypointOf(words: readonly string[]): string {
  if (words.length === 1) return words[0] as string;
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}

function submissionOf(words: readonly string[], flags: SubmitFlags): JobSubmission {
  const runtimeEnv: JobRuntimeEnv = { ...(flags.runtimeEnvJson as JobRuntimeEnv | undefined) };
  if (flags.workingDir !== undefined) runtimeEnv.workingDir = path.resolve(flags.workingDir);
  else if (typeof runtimeEnv.workingDir === "string") runtimeEnv.workingDir = path.resolve(runtimeEnv.workingDir);
  return {
    entrypoint: entrypointOf(words),
    ...(flags.submissionId !== undefined ? { submissionId: flags.submissionId } : {}),
    ...(Object.keys(runtimeEnv).length > 0 ? { runtimeEnv } : {}),
    ...(flags.metadataJson !== undefined ? { metadata: flags.metadataJson } : {}),
    ...(flags.entrypointNumCpus !== undefined ? { entrypointNumCpus: flags.entrypointNumCpus } : {}),
    ...(flags.entrypointNumGpus !== undefined ? { entrypointNumGpus: flags.entrypointNumGpus } : {}),
    ...(flags.entrypointResources !== undefined ? { entrypointResources: flags.entrypointResources } : {}),
  };
}

async function submit(words: string[], flags: SubmitFlags): Promise<void> {
  if (words.length === 0) throw new CliError("say the command to run after --, e.g. lux job submit -- node main.mjs", 2);
  const client = new JobSubmissionClient(flags.address);
  const id = await client.submitJob(submissionOf(words, flags));
  if (!flags.wait) {
    process.stdout.write(`${id}\n`);
    return;
  }
  process.stderr.write(`Job ${id} submitted; its output follows (Ctrl-C stops following, not the job: lux job stop ${id}).\n`);
  await follow(client, id);
  const job = await client.getJobInfo(id);
  exitWith(job);
}

/** Prints the job's output as it comes, until the job ends. */
async function follow(client: JobSubmissionClient, id: string): Promise<void> {
  for await (const text of client.tailJobLogs(id)) process.stdout.write(text);
}

/** Returns (exit 0) when the job SUCCEEDED; else throws the exit code: the entrypoint's when FAILED, 1 when STOPPED. */
function exitWith(job: JobDetails): void {
  if (job.status === "SUCCEEDED") {
    process.stderr.write(`Job ${job.submissionId} succeeded.\n`);
    return;
  }
  const code = job.status === "FAILED" && job.exitCode !== null && job.exitCode > 0 && job.exitCode < 256 ? job.exitCode : 1;
  const firstLine = job.message.split("\n")[0] ?? "";
  throw new CliError(`job ${job.submissionId} ${job.status}: ${firstLine}`, code);
}

async function status(id: string, flags: AddressFlags & { format: string }): Promise<void> {
  const format = checkFormat(flags.format);
  const job = await new JobSubmissionClient(flags.address).getJobInfo(id);
  if (format !== "table") {
    process.stdout.write(structured(job, format));
    return;
  }
  process.stdout.write(`Job ${job.submissionId}: ${job.status}${job.exitCode !== null ? ` (exit code ${job.exitCode})` : ""}\n${job.message}\n`);
}

async function logs(id: string, flags: AddressFlags & { follow?: boolean }): Promise<void> {
  const client = new JobSubmissionClient(flags.address);
  if (flags.follow === true) await follow(client, id);
  else process.stdout.write(await client.getJobLogs(id));
}

async function stop(id: string, flags: AddressFlags & { wait: boolean }): Promise<void> {
  const client = new JobSubmissionClient(flags.address);
  if (!(await client.stopJob(id))) {
    process.stdout.write(`Job ${id} has already ended: ${await client.getJobStatus(id)}.\n`);
    return;
  }
  if (!flags.wait) {
    process.stdout.write(`Stopping job ${id}.\n`);
    return;
  }
  let job = await client.getJobInfo(id);
  while (!isTerminalStatus(job.status)) {
    await sleep(systemClock, STOP_POLL_MS);
    job = await client.getJobInfo(id);
  }
  process.stdout.write(`Job ${id}: ${job.status}.\n`);
}

async function list(flags: AddressFlags & { format: string }): Promise<void> {
  const format = checkFormat(flags.format);
  const jobs = await new JobSubmissionClient(flags.address).listJobs();
  if (format !== "table") {
    process.stdout.write(structured(jobs, format));
    return;
  }
  const time = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());
  const rows = jobs.map((j) => ({ ...j, startTime: time(j.startTime), endTime: time(j.endTime) }));
  process.stdout.write(`${table(rows, ["submissionId", "status", "exitCode", "startTime", "endTime", "entrypoint"])}\n`);
}

async function remove(id: string, flags: AddressFlags): Promise<void> {
  await new JobSubmissionClient(flags.address).deleteJob(id);
  process.stdout.write(`Deleted job ${id}.\n`);
}

/** Adds `lux job …` to `lux`. */
export function addJobCommands(cmd: Command): void {
  const job = cmd.command("job").description("Submit shell commands to a cluster as jobs, and follow, stop and delete them (the head's jobs API).");
  job
    .command("submit")
    .description("Run a shell command as a job on the cluster; follow its output and exit with its result (0, the entrypoint's exit code, or 1 when stopped).")
    .argument("<command...>", "the command, after --: one argument is a shell command line; several are quoted and joined")
    .addOption(addressOption())
    .option("--working-dir <dir>", "a directory the job runs in: shipped to the node that runs the entrypoint (runtimeEnv.workingDir)")
    .option("--runtime-env-json <json>", "the job's runtime env as JSON (docs/runtime-env.md)", jsonObject("--runtime-env-json"))
    .option("--metadata-json <json>", "your own labels for the job, a JSON object of strings", jsonObject("--metadata-json"))
    .option("--submission-id <id>", "the job's id (default: one is made)")
    .option("--entrypoint-num-cpus <n>", "CPUs the entrypoint holds while it runs (default 0)", amount)
    .option("--entrypoint-num-gpus <n>", "GPUs the entrypoint holds (default 0)", amount)
    .option("--entrypoint-resources <json>", "custom resources the entrypoint holds, as JSON", jsonObject("--entrypoint-resources"))
    .option("--no-wait", "print the submission id and exit at once, without following the job")
    .action(submit);
  job
    .command("status")
    .description("Show a job's state, exit code and message.")
    .argument("<id>", "its submission id")
    .option("--format <format>", "table, json or yaml", "table")
    .addOption(addressOption())
    .action(status);
  job
    .command("logs")
    .description("Print a job's output (stdout and stderr).")
    .argument("<id>", "its submission id")
    .option("--follow", "keep printing its output as it comes, until the job ends")
    .addOption(addressOption())
    .action(logs);
  job
    .command("stop")
    .description("Stop a job: SIGTERM to its entrypoint's processes, SIGKILL after the grace period (config jobStopGraceMs, at most 5 s).")
    .argument("<id>", "its submission id")
    .option("--no-wait", "return at once instead of waiting until the job has stopped")
    .addOption(addressOption())
    .action(stop);
  job
    .command("list")
    .description("List the cluster's jobs, oldest first.")
    .option("--format <format>", "table, json or yaml", "table")
    .addOption(addressOption())
    .action(list);
  job
    .command("delete")
    .description("Delete a job that has ended, with its output.")
    .argument("<id>", "its submission id")
    .addOption(addressOption())
    .action(remove);
}
